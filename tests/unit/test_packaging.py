"""A wheel of Vigil ships the rule packs, and an installed `vigil run` finds packs/default.yaml without a checkout.

The wheel is built from a copy of the sources (nothing is written into the
working tree), with pip's default isolated build, so the setuptools of
pyproject.toml's [build-system] builds it, as for `pip install .`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "packs"
SHIPPED = sorted(p.name for p in [*PACKS.glob("*.yaml"), PACKS / "README.md"])

# Runs in the installed copy, from a directory without packs/: where the code came from and what it found.
_PROBE = """
import json, sys
import correlator, streams, vigil
from correlator.config import load_packs
from vigil.commands.run import default_pack_path
path = default_pack_path()
pack = load_packs([path])
print(json.dumps({
    "modules": [correlator.__file__, streams.__file__, vigil.__file__],
    "path": str(path.resolve()),
    "rules": len(pack.rules),
}))
"""


def _source_copy(dest: Path) -> Path:
    """pyproject.toml, README.md and the top-level folders its package discovery includes."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tops = {
        pattern.rstrip("*").split(".")[0] for pattern in config["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for top in sorted(tops):
        shutil.copytree(ROOT / top, dest / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    return dest


def test_wheel_ships_the_packs_and_an_install_finds_the_default(tmp_path: Path) -> None:
    src = _source_copy(tmp_path / "src")
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--quiet", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("vigil-*.whl")

    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        assert {f"packs/{name}" for name in SHIPPED} <= names, sorted(n for n in names if "pack" in n)
        assert whl.read("packs/default.yaml") == (PACKS / "default.yaml").read_bytes()
        whl.extractall(tmp_path / "site")

    site = (tmp_path / "site").resolve()
    elsewhere = tmp_path / "elsewhere"  # no packs/ here, and not the source tree
    elsewhere.mkdir()
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    # PYTHONPATH comes before the editable install of the checkout: the code under test is the wheel's.
    assert all(Path(module).resolve().is_relative_to(site) for module in found["modules"]), found["modules"]
    assert found["path"] == str(site / "packs" / "default.yaml")
    assert found["rules"] > 0
    assert (site / "packs" / "demo.yaml").is_file()  # `vigil demo` takes the default's neighbour

"""`vigil run` refuses a bad rule pack before touching Kafka, with check-config's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.cli import main


def test_run_refuses_to_start_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("rules:\n  - name: Slow\n    source: metrics\n    threshold: fast\n")
    assert main(["run", "--bootstrap", "127.0.0.1:1", "--config", str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:4: rule Slow: threshold must be a number, got 'fast'" in err
    assert "refusing to start" in err
    assert main(["check-config", str(pack)]) == 1
    assert f"{pack}:4: rule Slow: threshold must be a number, got 'fast'" in capsys.readouterr().err

"""docker-compose.yml must name only things this project really has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from vigil.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _command(service: str) -> list[str]:
    cmd = SERVICES[service]["command"]
    return cmd if isinstance(cmd, list) else shlex.split(cmd)


def test_has_kafka_worker_and_prometheus() -> None:
    assert {"kafka", "vigil", "prometheus"} <= set(SERVICES)
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:4")
    assert SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft


def test_worker_command_is_a_real_vigil_command() -> None:
    program, *args = _command("vigil")
    assert program == "vigil"
    parsed = build_parser().parse_args(args)  # exits (fails the test) on an unknown command or option
    assert parsed.command == "run"
    port = str(parsed.web_port)
    assert any(p.endswith(f":{port}") for p in SERVICES["vigil"]["ports"])
    assert SERVICES["vigil"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_demo_command_is_a_real_module() -> None:
    program, flag, module, *_ = _command("demo")
    assert (program, flag) == ("python", "-m")
    assert (ROOT / Path(*module.split("."))).is_dir() or (ROOT / (module.replace(".", "/") + ".py")).is_file()


def test_prometheus_scrapes_the_worker_metrics_port() -> None:
    mount = next(v for v in SERVICES["prometheus"]["volumes"] if v.endswith("/etc/prometheus/prometheus.yml:ro"))
    config_path = ROOT / mount.split(":")[0]
    config = yaml.safe_load(config_path.read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    port = build_parser().parse_args(_command("vigil")[1:]).web_port
    assert f"vigil:{port}" in targets


def test_every_bind_mount_is_a_file_of_the_project() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_dockerfile_copies_every_package_it_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M):
        assert (ROOT / copied).exists(), copied
    for package in ("streams", "correlator", "notifiers", "schemas", "vigil"):
        assert f"COPY {package} {package}" in dockerfile

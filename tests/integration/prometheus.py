"""A real Prometheus server for integration tests, scraping what the test says.

The binary comes from the system (`make system-deps` installs the Debian
package `prometheus`); set ``PROMETHEUS_BIN`` to use another one. The server
listens on a free port of 127.0.0.1 and keeps its TSDB in the test's tmp dir,
so it never meets a Prometheus the machine may already run on :9090.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.children import die_with_parent, stop_child

__all__ = ["PrometheusServer", "prometheus_binary", "running_prometheus"]

Vector = list[dict[str, Any]]  #: an instant vector as /api/v1/query returns it: [{"metric": {...}, "value": [t, "v"]}]


def prometheus_binary() -> str:
    """Path of the prometheus binary; raises with the fix when there is none (never a skip)."""
    explicit = os.environ.get("PROMETHEUS_BIN")
    found = explicit or shutil.which("prometheus")
    if not found or not os.access(found, os.X_OK):
        where = f"PROMETHEUS_BIN={explicit!r} is not an executable" if explicit else "no `prometheus` on PATH"
        raise RuntimeError(
            f"Prometheus is needed for this test but {where}. Run `make system-deps` "
            "(installs the Debian package `prometheus`), or point PROMETHEUS_BIN at a prometheus binary."
        )
    return found


@dataclass(frozen=True)
class PrometheusServer:
    url: str  #: base URL, e.g. http://127.0.0.1:41234
    log: Path
    proc: subprocess.Popen[bytes]

    def _get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as exc:  # 400/422 carry Prometheus' own error message
            with exc:
                body = json.loads(exc.read() or b"{}")
            raise RuntimeError(f"Prometheus {path} {params}: {exc.code} {body.get('error', body)}") from exc
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus {path} {params}: {body}")
        return body["data"]

    def query(self, promql: str) -> Vector:
        """Evaluate an instant query now; the result's samples (an instant vector)."""
        data = self._get("/api/v1/query", query=promql)
        if data["resultType"] != "vector":
            raise RuntimeError(f"{promql!r} returned a {data['resultType']}, not an instant vector")
        return list(data["result"])

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets with their health and last error (for diagnostics)."""
        return list(self._get("/api/v1/targets", state="active")["activeTargets"])

    def wait_for(self, promql: str, predicate: Callable[[Vector], bool], timeout: float = 60) -> Vector:
        """Poll `promql` until `predicate(result)` holds; the result, or TimeoutError saying what was seen."""
        deadline = time.monotonic() + timeout
        result: Vector = []
        while True:
            self._check_alive()
            result = self.query(promql)
            if predicate(result):
                return result
            if time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        targets = [(t.get("scrapeUrl"), t.get("health"), t.get("lastError")) for t in self.targets()]
        raise TimeoutError(
            f"after {timeout}s, {promql!r} still returns {result}\ntargets: {targets}\n"
            f"prometheus log:\n{self._log_tail()}"
        )

    def _check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else "(no log)"


def scalar(result: Vector) -> float:
    """The value of a one-sample instant vector."""
    if len(result) != 1:
        raise ValueError(f"expected exactly one sample, got {result}")
    return float(result[0]["value"][1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, targets: list[str], scrape_interval: str) -> None:
    # JSON is YAML, so no YAML writer is needed.
    config = {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval},
        "scrape_configs": [{"job_name": "vigil", "static_configs": [{"targets": targets}]}],
    }
    path.write_text(json.dumps(config, indent=2))


@contextmanager
def running_prometheus(targets: list[str], tmp: Path, scrape_interval: str = "1s") -> Iterator[PrometheusServer]:
    """A Prometheus child scraping `targets` ("host:port", path /metrics); stopped on exit."""
    binary = prometheus_binary()
    home = tmp / f"prometheus-{os.getpid()}-{time.monotonic_ns()}"
    home.mkdir(parents=True)
    config = home / "prometheus.yml"
    write_config(config, targets, scrape_interval)
    port = _free_port()
    log = home / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=home,  # relative defaults (console templates) resolve here, not in the repo
            preexec_fn=die_with_parent(),
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", log, proc)
    try:
        _wait_ready(server, timeout=60)
        yield server
    finally:
        stop_child(proc, 20)


def _wait_ready(server: PrometheusServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server._check_alive()
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:  # 503 while the TSDB opens
            exc.close()
        except OSError:  # not listening yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"prometheus not ready after {timeout}s:\n{server._log_tail()}")

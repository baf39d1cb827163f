"""A real `vigil run` worker process for integration tests, with its own topics."""

from __future__ import annotations

import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from streams.settings import Topics
from vigil.children import free_port, spawn_worker, stop_child
from vigil.scrape import metric_total


@dataclass(frozen=True)
class RunningWorker:
    bootstrap: str
    topics: Topics
    web: str  #: base URL of its web server
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def kill(self) -> bool:
        """SIGKILL, as a crash or an OOM kill would: no shutdown, no final commit. True if it was running."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        self.proc.kill()
        self.proc.wait(10)
        return True

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.web}/metrics", timeout=5) as resp:
            return resp.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of one metric whose labels include `labels`."""
        return metric_total(self.metrics_text(), name, **labels)


@contextmanager
def running_worker(bootstrap: str, tmp: Path, *, tag: str | None = None, **env: str) -> Iterator[RunningWorker]:
    """A worker with its own topics; pass the same `tag` again to restart the same worker."""
    tag = tag or uuid.uuid4().hex[:8]
    prefix = f"t{tag}-"
    port = free_port()
    log = tmp / f"worker-{tag}.log"
    proc = spawn_worker(
        bootstrap=bootstrap,
        prefix=prefix,
        app_id=f"vigil-{tag}",
        web_port=port,
        data_dir=Path(env.pop("VIGIL_DATA_DIR", str(tmp / f"worker-{tag}"))),
        log=log,
        env=env,
    )
    worker = RunningWorker(bootstrap, Topics(prefix=prefix), f"http://127.0.0.1:{port}", log, proc)
    try:
        _wait_healthy(worker, proc, timeout=60)
        yield worker
    finally:
        stop_child(proc, 30)


def _wait_healthy(worker: RunningWorker, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}:\n{worker.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{worker.web}/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"worker not healthy after {timeout}s:\n{worker.log.read_text()[-4000:]}")

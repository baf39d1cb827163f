"""Child processes that never outlive Vigil.

Ctrl-C reaches the whole foreground process group, but a parent killed
any other way (SIGKILL, a crashed test runner) would leave its broker or
worker running. Linux's PR_SET_PDEATHSIG has the kernel send the child
SIGTERM when its parent dies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["die_with_parent", "free_port", "spawn_worker", "stop_child"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for subprocess.Popen that ties the child's life to this process."""
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def stop_child(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM so the child can shut down cleanly; SIGKILL if it is still alive after `timeout`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn_worker(
    *,
    bootstrap: str,
    prefix: str,
    app_id: str,
    web_port: int,
    data_dir: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    loglevel: str = "info",
) -> subprocess.Popen[bytes]:
    """A `vigil run` process with its own topics (prefix), group (app id), port and state, tied to us.

    Tests and benchmarks run real workers side by side on one broker; this
    is the one place that knows how to set one up.
    """
    child_env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "VIGIL_TOPIC_PREFIX": prefix,
        "VIGIL_APP_ID": app_id,
        "VIGIL_WEB_PORT": str(web_port),
        "VIGIL_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "vigil.cli", "run", "--loglevel", loglevel],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env,
            cwd=Path(__file__).resolve().parents[1],
            preexec_fn=die_with_parent(),
        )

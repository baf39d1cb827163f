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
import subprocess
from collections.abc import Callable

__all__ = ["die_with_parent", "stop_child"]

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

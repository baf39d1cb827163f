"""`vigil run`'s worker keeps the root logger at the level asked for (no DEBUG records made for nobody)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import faust
import pytest

from vigil.commands.run import quiet_worker


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with the process's logging put back afterwards (dictConfig disables other loggers)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    loggers = {
        name: (lg.disabled, lg.level)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    yield root
    root.setLevel(level)
    root.handlers[:] = handlers
    for name, lg in logging.Logger.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.disabled, lg.level = loggers.get(name, (False, logging.NOTSET))


@pytest.mark.parametrize("level", ["warning", "error", "info"])
def test_the_root_logger_stays_at_the_workers_level(root_logger: logging.Logger, level: str) -> None:
    worker = quiet_worker(faust.App(f"vigil-logging-{level}", broker="memory://"), level)
    worker.redirect_stdouts = False  # (the test's own stdout and stderr stay pytest's)
    worker._setup_logging()  # what execute_from_commandline does first
    assert root_logger.level == getattr(logging, level.upper())
    assert not root_logger.isEnabledFor(logging.DEBUG)
    assert all(h.level >= getattr(logging, level.upper()) or h.level == logging.NOTSET for h in root_logger.handlers)

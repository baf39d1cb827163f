"""`vigil run`: one worker process (ingest loop, rules agent, web server)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from streams.settings import Settings

if TYPE_CHECKING:
    import faust

__all__ = ["default_pack_path", "quiet_worker", "run"]


def default_pack_path() -> Path:
    """packs/default.yaml of the working directory, else the one shipped with Vigil.

    `packs` is package data (pyproject.toml): a wheel installs it next to `vigil`, as it sits in the
    source tree, so the same path serves a checkout, an editable install and a `pip install .`.
    """
    here = Path("packs/default.yaml")
    return here if here.exists() else Path(__file__).resolve().parents[2] / "packs" / "default.yaml"


def run(args: argparse.Namespace) -> int:
    from correlator.config import ConfigError, load_packs
    from vigil.receivers import receiver_problems

    paths = args.config or [default_pack_path()]
    try:
        pack = load_packs(paths, check_receiver=receiver_problems(os.environ))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"vigil run: refusing to start: {len(exc.problems)} problem(s) in the rule config", file=sys.stderr)
        return 2

    from streams.api import ApiTokens, TokenConfigError

    try:
        tokens = ApiTokens.from_env()
    except TokenConfigError as exc:
        print(f"vigil run: refusing to start: API tokens: {exc}", file=sys.stderr)
        return 2

    from streams.app import create_app
    from streams.topics import ensure_topics

    settings = Settings.from_env(
        bootstrap=args.bootstrap, web_host=args.web_host, web_port=args.web_port, data_dir=Path(args.data_dir)
    )
    asyncio.run(
        ensure_topics(
            settings.bootstrap,
            settings.topics.all(),
            partitions=settings.partitions,
            configs=settings.topics.configs(),
        )
    )
    from vigil.receivers import build_receivers

    receivers, disabled = build_receivers(pack.routing, os.environ)
    for name, why in sorted(disabled.items()):
        print(f"vigil run: receiver {name} is disabled: {why}", file=sys.stderr)
    app = create_app(settings, pack, tokens=tokens, receivers=receivers, disabled_receivers=disabled)
    quiet_worker(app, args.loglevel).execute_from_commandline()
    return 0


def quiet_worker(app: faust.App, loglevel: str) -> faust.Worker:
    """A Faust worker without the startup spinner.

    At --loglevel warning or error, Faust's spinner puts the root logger at DEBUG (with a DEBUG handler)
    for the life of the process, so every logging.debug in aiokafka, Faust and mode would build a
    LogRecord that nothing prints. Without it the root logger stays at `loglevel`.
    """
    import faust

    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.spinner = None
    return worker

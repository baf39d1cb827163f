"""`vigil run`: one worker process (ingest loop, rules agent, web server)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from streams.settings import Settings

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    import faust

    from streams.app import create_app
    from streams.topics import ensure_topics

    settings = Settings.from_env(
        bootstrap=args.bootstrap, web_host=args.web_host, web_port=args.web_port, data_dir=Path(args.data_dir)
    )
    asyncio.run(ensure_topics(settings.bootstrap, settings.topics.all(), partitions=settings.partitions))
    app = create_app(settings)
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()
    return 0

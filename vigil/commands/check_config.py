"""`vigil check-config FILE...`: validate rule packs, every problem as `FILE:LINE: message`.

Receivers are built with this process's environment, as the worker would
build them: a bad option or a `${VAR}` that is unset is reported at its
line, except in an `optional: true` receiver, which is only disabled.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["check_config"]


def check_config(args: argparse.Namespace) -> int:
    """0 when every file is a valid pack; 1 when any has a problem (all of them are printed)."""
    from correlator.config import ConfigError, describe_pack, load_pack
    from vigil.receivers import receiver_problems

    check_receiver = receiver_problems(os.environ)
    status = 0
    for file in args.files:
        try:
            pack = load_pack(file, check_receiver=check_receiver)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            n = len(exc.problems)
            print(f"{file}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
            status = 1
            continue
        print(f"{file}: OK ({describe_pack(pack)})")
    return status

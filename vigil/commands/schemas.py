"""`vigil schemas export`: JSON Schemas for producers written in other languages."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["export_schemas"]


def export_schemas(args: argparse.Namespace) -> int:
    from schemas.export import DEFAULT_DIR, export_all

    out = Path(args.out) if args.out else DEFAULT_DIR
    for path in export_all(out):
        print(path)
    return 0

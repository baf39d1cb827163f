"""`vigil test-rules FILE...`: run rule-pack unit tests (promtool style) through the real engine."""

from __future__ import annotations

import argparse
import sys

__all__ = ["test_rules"]


def test_rules(args: argparse.Namespace) -> int:
    """0 when every test of every file passes; 1 on any failure or any file that cannot be loaded.

    The report goes to stdout; problems loading a test file or its packs
    go to stderr as `FILE:LINE: message`, like `vigil check-config`.
    """
    from correlator.ruletest import format_result, run_rule_tests

    status = 0
    for file in args.files:
        result = run_rule_tests(file)
        for problem in result.problems:
            print(problem, file=sys.stderr)
        print(format_result(result))
        if not result.passed:
            status = 1
    return status


test_rules.__test__ = False  # type: ignore[attr-defined]  # a command, not a pytest test

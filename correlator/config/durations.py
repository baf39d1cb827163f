"""Durations live in `correlator.durations` (the incident core needs them without the config loader)."""

from correlator.durations import format_duration, parse_duration

__all__ = ["format_duration", "parse_duration"]

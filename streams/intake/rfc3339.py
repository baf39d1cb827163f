"""RFC 3339 timestamps, as Go writes them, to Unix seconds.

Go's ``time.Time`` marshals as RFC 3339 with up to nine fractional digits
and ``Z`` or a numeric offset (``2026-01-01T09:52:26.739266876+02:00``).
Its zero value, ``0001-01-01T00:00:00Z``, means "not set": Alertmanager
writes it as the ``endsAt`` of a firing alert. Stricter than
``datetime.fromisoformat``, which also takes dates without a time or an
offset; no ``datetime`` arithmetic, so year 1 with an offset is no overflow.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["parse_rfc3339"]

_FORM = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_GO_ZERO = (date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86400
_MAX_TEXT = 64


def parse_rfc3339(text: str) -> float | None:
    """Unix seconds of ``text``, or None for Go's zero time; ValueError if malformed.

    The error says what is wrong in words, without repeating ``text``.
    """
    if len(text) > _MAX_TEXT:
        raise ValueError(f"is {len(text)} characters, not an RFC 3339 timestamp")
    match = _FORM.fullmatch(text)
    if match is None:
        raise ValueError("must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, sign, off_hours, off_minutes = match.group(7, 8, 9, 10)
    try:
        ordinal = date(year, month, day).toordinal()
    except ValueError:
        raise ValueError(f"has no such date {match.group(1)}-{match.group(2)}-{match.group(3)}") from None
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("has a time of day out of range")
    whole = (ordinal - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second
    if sign is not None:
        if int(off_hours) > 23 or int(off_minutes) > 59:
            raise ValueError("has a UTC offset out of range")
        offset = int(off_hours) * 3600 + int(off_minutes) * 60
        whole -= offset if sign == "+" else -offset
    if whole == _GO_ZERO and not (fraction and fraction.strip("0")):
        return None
    return whole + float(f"0.{fraction}") if fraction else float(whole)

"""Reading an alert's labels: its service, its group, and label matchers.

The matchers are the rule engine's `correlator.rules.Matcher` (PromQL-style
`=`, `!=`, `=~`, `!~`), which judge a `SeriesKey`; `labels_match` adapts an
alert's label map to one, so silences, inhibition rules and maintenance
windows match exactly the way rule selectors do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from correlator.rules import Matcher
from correlator.series import SeriesKey

__all__ = ["UNKNOWN_SERVICE", "group_key", "group_labels", "labels_match", "matcher_text", "service_of"]

UNKNOWN_SERVICE = "unknown"
"""The service of an alert that has neither a `service` nor a `job` label."""


def service_of(labels: Mapping[str, str]) -> str:
    """The service an alert concerns: its `service` label, else Prometheus' `job`, else `unknown`."""
    return labels.get("service") or labels.get("job") or UNKNOWN_SERVICE


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """The alert's values of the `group_by` labels (a missing label reads as empty, as in PromQL)."""
    return {name: labels.get(name, "") for name in group_by}


def group_key(labels: Mapping[str, str], group_by: Sequence[str]) -> str:
    """`service=advisor-api` (`a=x,b=y` for more labels; `all` when grouping by nothing)."""
    if not group_by:
        return "all"
    return ",".join(f"{name}={labels.get(name, '')}" for name in group_by)


def labels_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds for `labels` (an empty matcher list matches everything)."""
    series = SeriesKey(
        source="",
        service=labels.get("service", ""),
        name=labels.get("__name__", ""),
        labels=tuple(sorted(labels.items())),
    )
    return all(m.matches(series) for m in matchers)


def matcher_text(matcher: Matcher) -> str:
    """`service="advisor-api"`: a matcher as people write it (and `Matcher.parse` reads it)."""
    return f'{matcher.label}{matcher.op}"{matcher.value}"'

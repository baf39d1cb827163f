"""A rule pack: everything a worker evaluates, as loaded from one config file."""

from __future__ import annotations

from dataclasses import dataclass, field

from correlator.incidents.config import CorrelationSettings
from correlator.routing.model import RoutingConfig
from correlator.rules import AbsenceRule, ThresholdRule
from correlator.slo import Slo

__all__ = ["EvaluationSettings", "LogPattern", "RulePack"]


@dataclass(frozen=True, slots=True)
class EvaluationSettings:
    window_seconds: float = 10.0  #: base tumbling window; rule windows are multiples of it
    allowed_lateness: float = 5.0  #: how far behind the watermark a window stays open
    refresh_seconds: float = 60.0  #: a firing alert is re-sent this often (event time)
    receipt_timeout_seconds: float = 300.0  #: a message with no final status after this counts as failed


@dataclass(frozen=True, slots=True)
class LogPattern:
    """Log messages matching `regex` are counted as series `log_pattern_matches{pattern=name}`."""

    name: str
    regex: str


@dataclass(frozen=True, slots=True)
class RulePack:
    rules: tuple[ThresholdRule, ...] = ()
    absence: tuple[AbsenceRule, ...] = ()
    slos: tuple[Slo, ...] = ()
    log_patterns: tuple[LogPattern, ...] = ()
    settings: EvaluationSettings = field(default_factory=EvaluationSettings)
    correlation: CorrelationSettings = field(default_factory=CorrelationSettings)  #: alerts → incidents
    routing: RoutingConfig = field(default_factory=RoutingConfig)  #: incidents → people

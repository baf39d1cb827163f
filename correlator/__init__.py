"""Vigil's pure core: windows, sketches, rules and alert state.

Nothing in this package imports Faust, aiokafka, aiohttp or asyncio, or
reads the clock: state and time come in, decisions and effects go out.
The same code runs in the live agents, in replay and in the unit tests.
"""

from correlator.alerts import AlertState, AlertTransition, fingerprint
from correlator.engine import RuleEngine, ServiceShard, SloStatus, check_pack
from correlator.pack import EvaluationSettings, LogPattern, RulePack
from correlator.partials import Partial, PartialFolder, Watermark, from_wire, window_start
from correlator.rules import AbsenceRule, Aggregation, Comparison, Matcher, ThresholdRule, default_rules
from correlator.samples import sample_of
from correlator.series import Aggregate, SeriesKey
from correlator.slo import BurnAlert, SliSpec, Slo

__all__ = [
    "AbsenceRule",
    "Aggregate",
    "Aggregation",
    "AlertState",
    "AlertTransition",
    "Comparison",
    "BurnAlert",
    "EvaluationSettings",
    "LogPattern",
    "Matcher",
    "Partial",
    "PartialFolder",
    "RuleEngine",
    "RulePack",
    "SeriesKey",
    "ServiceShard",
    "SliSpec",
    "Slo",
    "SloStatus",
    "ThresholdRule",
    "Watermark",
    "check_pack",
    "default_rules",
    "fingerprint",
    "from_wire",
    "sample_of",
    "window_start",
]

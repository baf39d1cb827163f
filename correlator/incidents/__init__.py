"""Incidents: from a storm of alerts to one incident people can act on (the pure core of issue 4).

`IncidentBook` holds one correlation domain's incidents and takes alerts,
deploys/config changes, people's commands and ticks, each with the
current time; it returns the `schemas.IncidentEvent` records to publish
on `incidents`. It deduplicates alerts by fingerprint, groups them by
`group_by` labels, joins topologically related groups within the
correlation window and names the root-cause candidate, records silenced,
inhibited and maintenance-muted alerts without notifying anyone, holds
notifications while an incident flaps, names recent changes as suspects,
and runs the lifecycle triggered → acknowledged → resolved (→ reopened).

Like the rest of `correlator/`, it never reads a clock and does no I/O:
the live agent, replay and the tests run the same code and get the same
bytes.
"""

from correlator.incidents.book import IncidentBook, IncidentChange
from correlator.incidents.commands import CommandOutcome, command_problem
from correlator.incidents.config import (
    CorrelationSettings,
    InhibitRule,
    MaintenanceWindow,
    parse_matchers,
    settings_from_mapping,
)
from correlator.incidents.labels import group_key, labels_match, service_of
from correlator.incidents.muting import Silence
from correlator.incidents.topology import Topology

__all__ = [
    "CommandOutcome",
    "CorrelationSettings",
    "IncidentBook",
    "IncidentChange",
    "InhibitRule",
    "MaintenanceWindow",
    "Silence",
    "Topology",
    "command_problem",
    "group_key",
    "labels_match",
    "parse_matchers",
    "service_of",
    "settings_from_mapping",
]

"""Replay (issue 6): rerun any range of history through the live pipeline's pure core, deterministically.

`Replayer` takes the recorded source and control records in event-time
order and drives ingest folding, the rule engine, the incident books and
the pagers on a simulated clock, with every notification recorded and
none sent. `build_report` turns one run (or a current and an alternative
run over the same records, for a what-if) into the report.json data, and
`report_bytes` into its bytes: the same records and config always give
the same bytes. Reading Kafka is the shell's job (`vigil/replay/`).
"""

from correlator.replay.incidents import AppliedCommand, IncidentFlow
from correlator.replay.ingest import DeadLetterNote, ReplayIngest
from correlator.replay.records import CONTROL_FAMILIES, SOURCE_FAMILIES, ReplayRecord, merge_partitions
from correlator.replay.replayer import Replayer
from correlator.replay.report import REPORT_VERSION, build_report, diff_runs, iso_time, report_bytes
from correlator.replay.series import SeriesRecorder

__all__ = [
    "CONTROL_FAMILIES",
    "REPORT_VERSION",
    "SOURCE_FAMILIES",
    "AppliedCommand",
    "DeadLetterNote",
    "IncidentFlow",
    "ReplayIngest",
    "ReplayRecord",
    "Replayer",
    "SeriesRecorder",
    "build_report",
    "diff_runs",
    "iso_time",
    "merge_partitions",
    "report_bytes",
]

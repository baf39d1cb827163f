"""Worker settings: one frozen object, read once from the environment.

Every knob has a default that makes `vigil run` work against a local
broker; the environment (VIGIL_*, KAFKA_BOOTSTRAP_SERVERS) overrides.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "Topics"]


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names; a prefix lets tests and replays use their own."""

    prefix: str = ""

    def _t(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def logs(self) -> str:
        return self._t("logs")

    @property
    def metrics(self) -> str:
        return self._t("metrics")

    @property
    def receipts(self) -> str:
        return self._t("receipts")

    @property
    def deadletter(self) -> str:
        return self._t("deadletter")

    @property
    def partials(self) -> str:
        return self._t("vigil-partials")

    @property
    def alerts(self) -> str:
        return self._t("alerts")

    @property
    def incidents(self) -> str:
        return self._t("incidents")

    @property
    def commands(self) -> str:
        return self._t("commands")

    @property
    def changes(self) -> str:
        return self._t("changes")

    @property
    def changes_by_domain(self) -> str:
        """`changes` re-keyed by correlation domain, so each meets its domain's alerts."""
        return self._t("vigil-changes-by-domain")

    @property
    def notifications(self) -> str:
        return self._t("notifications")

    @property
    def notification_results(self) -> str:
        return self._t("notifications.results")

    @property
    def board(self) -> str:
        """Every worker's SLA tiles every 10 s, so each dashboard shows them all (kept 7 h)."""
        return self._t("vigil-board")

    def configs(self) -> dict[str, dict[str, str]]:
        """Topic configs beyond the broker's defaults, for the topics that are created with them."""
        return {self.board: {"retention.ms": str(7 * 3600 * 1000), "cleanup.policy": "delete"}}

    def sources(self) -> dict[str, str]:
        """Topic name → source family, for the topics ingest reads."""
        return {self.logs: "logs", self.metrics: "metrics", self.receipts: "receipts"}

    def all(self) -> list[str]:
        return [
            self.logs,
            self.metrics,
            self.receipts,
            self.deadletter,
            self.partials,
            self.alerts,
            self.incidents,
            self.changes,
            self.changes_by_domain,
            self.commands,
            self.notifications,
            self.notification_results,
            self.board,
        ]


@dataclass(frozen=True, slots=True)
class Settings:
    bootstrap: str = "127.0.0.1:9092"
    app_id: str = "vigil"
    topics: Topics = field(default_factory=Topics)
    partitions: int = 3
    flush_interval: float = 1.0  #: how often ingest hands partials downstream (seconds)
    idle_partition_seconds: float = 10.0  #: a source partition silent this long stops holding event time back
    service_memory_seconds: float = 3600.0  #: how long a silent service still gets watermark heartbeats
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: Path = Path("var/worker")
    #: A worker that dies without leaving the group keeps its partitions (and the escalations in them)
    #: until the broker gives up on it: 10 s rather than Faust's 60 s, so a replacement pages on time.
    session_timeout: float = 10.0
    #: How this worker signs its share of the dashboard; "" means host:web_port, which a restart keeps.
    worker_name: str = ""

    @property
    def worker(self) -> str:
        return self.worker_name or f"{socket.gethostname()}:{self.web_port}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        d = cls()
        values: dict[str, object] = {
            "bootstrap": env.get("KAFKA_BOOTSTRAP_SERVERS", d.bootstrap),
            "app_id": env.get("VIGIL_APP_ID", d.app_id),
            "topics": Topics(prefix=env.get("VIGIL_TOPIC_PREFIX", "")),
            "flush_interval": float(env.get("VIGIL_FLUSH_INTERVAL", d.flush_interval)),
            "idle_partition_seconds": float(env.get("VIGIL_IDLE_PARTITION_SECONDS", d.idle_partition_seconds)),
            "web_host": env.get("VIGIL_WEB_HOST", d.web_host),
            "web_port": int(env.get("VIGIL_WEB_PORT", d.web_port)),
            "data_dir": Path(env.get("VIGIL_DATA_DIR", str(d.data_dir))),
            "session_timeout": float(env.get("VIGIL_SESSION_TIMEOUT", d.session_timeout)),
            "worker_name": env.get("VIGIL_WORKER_NAME", d.worker_name),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

"""A real single-node Kafka broker for machines without Docker.

See DESIGN.md, "Kafka, for real": one launcher serves ``make run``,
``make test`` and CI; ``KAFKA_BOOTSTRAP_SERVERS`` overrides it everywhere.
"""

from vigil.broker.launcher import (
    KAFKA_VERSION,
    BrokerError,
    LocalKafka,
    bootstrap_from_env,
    ensure_jars,
    kafka_home,
    wait_for_metadata,
)

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "LocalKafka",
    "bootstrap_from_env",
    "ensure_jars",
    "kafka_home",
    "wait_for_metadata",
]

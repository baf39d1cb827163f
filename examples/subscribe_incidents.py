"""Follow Vigil's incidents: every change to every incident, as it happens.

python examples/subscribe_incidents.py [BOOTSTRAP]   # default 127.0.0.1:9092
"""

import asyncio
import sys

from aiokafka import AIOKafkaConsumer

from schemas import IncidentEvent, decode


async def main(bootstrap: str) -> None:
    # Your team's own group_id: you get every incident, and resume where you stopped.
    consumer = AIOKafkaConsumer(
        "incidents", bootstrap_servers=bootstrap, group_id="my-team", isolation_level="read_committed"
    )
    await consumer.start()
    try:
        async for record in consumer:
            change = decode(IncidentEvent, record.value)
            print(f"{change.event:<16} [{change.incident.severity}] {change.incident_id}: {change.incident.title}")
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9092"))

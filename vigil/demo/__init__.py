"""Demo traffic for a small financial-advisory platform (see :mod:`vigil.demo.traffic`).

The pure generator is re-exported here; the Kafka producers live in
:mod:`vigil.demo.producer` so importing the generator never pulls in aiokafka.
"""

from vigil.demo.traffic import DEFAULT_FAULTS, DemoEvent, Fault, FaultKind, PlatformTraffic, fault_active

__all__ = ["DEFAULT_FAULTS", "DemoEvent", "Fault", "FaultKind", "PlatformTraffic", "fault_active"]

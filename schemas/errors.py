"""The one exception a record codec raises.

    ValueError
     └── SchemaError      a record (bytes or object) does not match its schema

Every way a payload can be wrong (bad JSON, wrong type, unknown field,
too long, non-finite number, unsupported version ...) ends up here, so a
consumer can catch exactly one thing, count it and dead-letter the record.
"""

from __future__ import annotations

__all__ = ["SchemaError"]


class SchemaError(ValueError):
    """A record does not match its schema.

    ``field`` is a JSON path to the offending value (``$.labels.route``), or
    ``$`` when the problem is with the record as a whole; ``problem`` says
    what is wrong in words. ``str(error)`` is ``"<field>: <problem>"``.
    """

    field: str
    problem: str

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self):  # keep pickling (multiprocessing, faust) working
        return (type(self), (self.field, self.problem))

"""The one exception the intake raises.

    ValueError
     └── IntakeError      a request body cannot become Vigil alerts (HTTP 400 or 413)

The conversion functions translate every other failure (bad JSON, wrong
types, a record the `alerts` topic would refuse) into this one, so a handler
catches exactly one thing and answers with ``status`` and ``message``.
"""

from __future__ import annotations

__all__ = ["IntakeError"]


class IntakeError(ValueError):
    """A body Vigil refuses, with the HTTP status to answer.

    ``status`` is 400 (malformed), 401 (no or wrong sender token) or 413 (too large). ``message`` names the
    offending element as a path into the body (``alerts[3].labels: must be an
    object of strings``); ``str(error)`` is the message.
    """

    status: int
    message: str

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self):  # keep pickling working, like SchemaError
        return (type(self), (self.status, self.message))

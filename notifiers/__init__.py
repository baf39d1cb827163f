"""Delivery channels: one small module per provider behind `notifiers.base.Notifier`.

Kinds are looked up by name through the `vigil.notifiers` entry-point group
(notifiers/registry.py); retries, rate limits, the circuit breaker and the
fallback receiver live in the dispatcher, not in the channels.
"""

from notifiers.base import Message, Notifier, NotifierConfigError, Outcome

__all__ = ["Message", "Notifier", "NotifierConfigError", "Outcome"]

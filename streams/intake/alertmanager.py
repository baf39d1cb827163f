"""Alerts from Prometheus and Alertmanager, as Vigil alerts. Pure: bytes and ``now`` in.

Two bodies are understood:

- ``from_v2_alerts``: what Prometheus POSTs to an Alertmanager's
  ``/api/v2/alerts``, a JSON array of ``{labels, annotations, startsAt,
  endsAt, generatorURL}``. It carries no status: Prometheus sends a firing
  alert with ``endsAt`` a few resend intervals ahead (a timeout, should it
  stop sending) and a resolved one with ``endsAt`` when it resolved. So an
  alert is resolved iff ``endsAt`` <= ``now``, as in Alertmanager.
- ``from_webhook_v4``: what an Alertmanager webhook receiver POSTs (payload
  version "4"): a group of alerts, each with an explicit ``status``. That
  status is trusted over ``endsAt``, which Alertmanager judged by its own
  clock when it built the notification.

Mapping onto ``schemas.Alert``:

- ``rule`` is ``labels.alertname`` (required: Vigil names every alert).
- ``fingerprint`` is ``correlator.alerts.fingerprint(alertname, labels)``
  over the labels as received, minus ``alertname`` (it is the rule) but
  *with* ``severity``. In Prometheus the whole label set is an alert's
  identity, and one alertname commonly fires at two severities at once
  (``KubePersistentVolumeFillingUp`` warning at 15 %, critical at 3 %): one
  fingerprint for both would let the critical one's resolution resolve the
  still-firing warning. The labels Vigil adds (``source``, ``service``) are
  left out, so an alert that arrives both ways has one identity.
  Alertmanager's own ``fingerprint`` (in webhook bodies) is not reused: it
  is a different hash (FNV-64a over all labels) that a v2 body never
  carries, so the same alert would get two identities; and it is an
  unchecked claim by the sender.
- ``severity`` from ``labels.severity`` (case and spaces ignored), see
  ``SEVERITIES``; missing or unknown is medium, so an unfamiliar word is
  still delivered rather than refused.
- ``labels``: all of the alert's labels, plus ``source`` (``prometheus`` or
  ``alertmanager``; it replaces a label of that name) and, when the alert has
  no non-empty ``service``, ``service`` = ``job``, else ``external``: Vigil
  keys and shards alerts by service.
- ``annotations``: all of them, plus ``generator_url`` (the link back to the
  expression in Prometheus) when there is one, room is left and the name is
  free.
- ``starts_at`` from ``startsAt``; absent, it is ``now``, or ``endsAt`` if
  that is earlier (Alertmanager takes ``endsAt`` whenever it is set, even
  when it is a future timeout). ``ends_at`` is set only when
  resolved: ``endsAt``, or ``now`` for a resolved webhook alert without one.
  ``endsAt`` before ``startsAt`` is refused, as Alertmanager refuses it.
- ``value`` None, ``threshold`` 0 (an external rule's expression has
  neither), ``event_ts`` and ``emitted_at`` are ``now``.

A body is converted whole or refused whole: any malformed element raises
IntakeError(400) naming it, including an alert the `alerts` topic would
refuse (more than 32 labels with Vigil's added, a label value over 1024
characters ...). Alertmanager itself keeps the valid alerts of a batch;
Vigil does not, so a sender's bug is seen rather than half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from correlator.alerts import fingerprint
from schemas import Alert, AlertStatus, SchemaError, Severity, encode
from schemas.fields import MAX_LABELS, MAX_TS
from streams.intake._reader import bad, child, describe, load, object_at, optional_string, string_map, timestamp
from streams.intake.errors import IntakeError

__all__ = ["SEVERITIES", "from_v2_alerts", "from_webhook_v4"]

_C, _H, _M, _L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW

SEVERITIES: Mapping[str, Severity] = MappingProxyType(
    {
        # The words of the brief first, then syslog's and the P1-P5 / SEV1-5 scales.
        **{w: _C for w in ("critical", "page", "crit", "fatal", "emergency", "emerg", "disaster", "p1", "sev1")},
        **{w: _H for w in ("error", "high", "major", "err", "p2", "sev2")},
        **{w: _M for w in ("warning", "medium", "warn", "minor", "p3", "sev3")},
        **{w: _L for w in ("info", "low", "none", "informational", "notice", "debug", "p4", "p5", "sev4", "sev5")},
    }
)
"""``labels.severity`` (lower-cased, stripped) → Vigil severity; anything else is medium."""

_DEFAULT_SEVERITY = Severity.MEDIUM
_RULE_MAX = 200
_KEY_MAX = 128
_LABEL_VALUE_MAX = 1024
_ANNOTATION_MAX = 16384
_ALERT_STATUSES = ("firing", "resolved")


def from_v2_alerts(body: bytes, *, now: float) -> list[Alert]:
    """The alerts in a Prometheus ``POST /api/v2/alerts`` body; IntakeError if malformed."""
    _check_now(now)
    items = load(body)
    if not isinstance(items, list):
        raise bad("body", "must be a JSON array of alerts (Alertmanager API v2 postableAlerts)")
    out = []
    for i, item in enumerate(items):
        where = f"alerts[{i}]"
        out.append(_convert(object_at(item, where), where, now=now, status=None, source="prometheus"))
    return out


def from_webhook_v4(body: bytes, *, now: float) -> list[Alert]:
    """The alerts in an Alertmanager webhook (version "4") body; IntakeError if malformed."""
    _check_now(now)
    message = object_at(load(body), "body")
    version = message.get("version")
    if version != "4":
        raise bad("version", f'must be "4" (an Alertmanager webhook payload), got {describe(version)}')
    _check_envelope(message)
    items = message.get("alerts")
    if not isinstance(items, list):
        raise bad("alerts", "must be an array of alerts" + (", missing" if items is None else ""))
    out = []
    for i, item in enumerate(items):
        where = f"alerts[{i}]"
        alert = object_at(item, where)
        status = alert.get("status")
        if status not in _ALERT_STATUSES:
            raise bad(f"{where}.status", f'must be "firing" or "resolved", got {describe(status)}')
        optional_string(alert.get("fingerprint"), f"{where}.fingerprint")
        out.append(_convert(alert, where, now=now, status=status, source="alertmanager"))
    return out


def _check_now(now: float) -> None:
    if not (isinstance(now, int | float) and 0 < now < MAX_TS):
        raise ValueError(f"now must be Unix seconds, got {now!r}")  # the caller's bug, not the body's


def _check_envelope(message: dict[str, Any]) -> None:
    """The group's fields are not used, but a payload with them malformed is not from Alertmanager."""
    status = message.get("status")
    if status is not None and status not in _ALERT_STATUSES:
        raise bad("status", f'must be "firing" or "resolved", got {describe(status)}')
    for key in ("receiver", "externalURL", "groupKey"):
        optional_string(message.get(key), key)
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        string_map(message.get(key), key, required=False)
    truncated = message.get("truncatedAlerts")
    if truncated is not None and (type(truncated) is not int or truncated < 0):
        raise bad("truncatedAlerts", f"must be a whole number >= 0, got {describe(truncated)}")


def _convert(alert: dict[str, Any], where: str, *, now: float, status: str | None, source: str) -> Alert:
    """One alert; ``status`` as the sender stated it, or None to judge it by ``endsAt``."""
    labels = string_map(alert.get("labels"), f"{where}.labels", required=True)
    annotations = string_map(alert.get("annotations"), f"{where}.annotations", required=False)
    starts = timestamp(alert.get("startsAt"), f"{where}.startsAt")
    ends = timestamp(alert.get("endsAt"), f"{where}.endsAt")
    generator_url = optional_string(alert.get("generatorURL"), f"{where}.generatorURL")

    rule = labels.get("alertname")
    if not rule:
        raise bad(f"{where}.labels.alertname", "required: it names the alert (Vigil's rule)")
    if len(rule) > _RULE_MAX:
        raise bad(f"{where}.labels.alertname", f"is {len(rule)} characters, the limit is {_RULE_MAX}")
    if starts is not None and ends is not None and ends < starts:
        raise bad(f"{where}.endsAt", "is before startsAt")
    resolved = status == "resolved" if status is not None else ends is not None and ends <= now
    starts_at = starts if starts is not None else min(now, ends) if ends is not None else now
    ends_at = (ends if ends is not None else max(now, starts_at)) if resolved else None

    identity = {k: v for k, v in labels.items() if k != "alertname"}
    out_labels = dict(labels)
    out_labels["source"] = source
    if not labels.get("service"):
        out_labels["service"] = labels.get("job") or "external"
    added = " and ".join(k for k in ("source", "service") if k not in labels)
    _check_map(out_labels, f"{where}.labels", _LABEL_VALUE_MAX, added=f"with Vigil's {added}" if added else "")
    out_annotations = dict(annotations)
    if generator_url and "generator_url" not in out_annotations and len(out_annotations) < MAX_LABELS:
        out_annotations["generator_url"] = generator_url
    _check_map(out_annotations, f"{where}.annotations", _ANNOTATION_MAX)

    severity = SEVERITIES.get(labels.get("severity", "").strip().lower(), _DEFAULT_SEVERITY)
    try:
        record = Alert(
            fingerprint=fingerprint(rule, identity),
            rule=rule,
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            severity=severity,
            labels=out_labels,
            annotations=out_annotations,
            value=None,
            threshold=0.0,
            starts_at=starts_at,
            ends_at=ends_at,
            event_ts=now,
            emitted_at=now,
        )
        encode(record)  # exactly what the `alerts` topic will take; this catches the rest (64 KiB)
    except SchemaError as exc:
        raise IntakeError(400, f"{where}: not a valid Vigil alert: {exc}") from None
    return record


def _check_map(items: dict[str, str], where: str, value_max: int, *, added: str = "") -> None:
    if len(items) > MAX_LABELS:
        extra = f" ({added})" if added else ""
        raise bad(where, f"has {len(items)} entries{extra}, the limit is {MAX_LABELS}")
    for key, value in items.items():
        if not 0 < len(key) <= _KEY_MAX:
            raise bad(child(where, key), f"name must be 1 to {_KEY_MAX} characters, it is {len(key)}")
        if len(value) > value_max:
            raise bad(child(where, key), f"is {len(value)} characters, the limit is {value_max}")

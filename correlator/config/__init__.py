"""Rule packs in YAML: read a file into a `correlator.pack.RulePack`, or say exactly what is wrong.

Every problem is reported as `FILE:LINE: what is wrong`, all of them at
once (`ConfigError.problems`), so `vigil check-config` and a worker that
refuses to start give the same messages.

The format (packs/README.md has the long version)::

    settings:                  # all optional
      window: 10s              # base tumbling window; rule windows and steps are multiples of it
      allowed_lateness: 5s     # how long a window stays open for late events
      refresh: 1m              # re-send a firing alert this often
      receipt_timeout: 5m      # a message with no final status after this counts as failed

    log_patterns:              # log messages matching `regex` (re.search) are counted as
      - name: upstream_timeout #   log_pattern_matches{pattern="upstream_timeout", level=...}
        regex: 'upstream timeout'

    rules:
      - name: ApiLatencyP95High          # required, unique; becomes the alert's `alertname`
        source: metrics                  # metrics | logs | receipts
        metric: http_request_duration_seconds
        match: ['service="advisor-api"'] # label matchers: =  !=  =~  !~ (regexes are anchored)
        aggregation: p95                 # count rate sum avg min max p50 p90 p95 p99 ratio error_ratio
        # errors: ['status=~"5.."']      # error_ratio: which events are errors (ratio: numerator)
        group_by: [service]              # default [service]; must include service
        op: ">"                          # > >= < <=  (quote it: a bare > is YAML syntax)
        threshold: 0.5
        window: 30s                      # range each evaluation aggregates over
        every: 10s                       # evaluation step; default = base window (hopping)
        for: 1m                          # breach must hold this long before firing (default 0s)
        keep_firing_for: 30s             # keep firing this long after the breach ends (default 0s)
        severity: high                   # critical | high | medium | low (default high)
        labels: {team: api}
        annotations: {summary: "{service} P95 {value:.3f}s > {threshold}s"}

      - name: ServiceSilent              # an absence rule: it has `absent:` instead of a threshold
        absent: 2m                       # no sample for 2 minutes of wall-clock time fires
        source: metrics
        metric: up
        severity: critical               # default critical

    slos:
      - name: api-availability
        objective: 99.9                  # percent of good events
        period: 30d                      # default 30d; burn-rate windows scale with it
        sli: {source: metrics, metric: http_request_duration_seconds,
              match: ['service="advisor-api"'], bad: ['status=~"5.."']}
      - name: api-latency
        objective: 95
        sli: {source: metrics, metric: http_request_duration_seconds, le: 0.5}

    receivers:                 # incidents to people (correlator/config/routing.py has the details)
      - {name: console, kind: console}
      - {name: oncall-pager, kind: pagerduty, routing_key: '${PAGERDUTY_ROUTING_KEY}', optional: true}
    escalation_policies:
      - {name: critical-default, repeat: 2, levels: [{notify: [oncall-pager], escalate_after: 5m}]}
    time_intervals:
      - {name: weekends, times: [{weekdays: [sat, sun]}]}
    route:                     # Alertmanager's route tree; the root matches everything
      receivers: [console]
      routes:
        - {name: critical, match: ['severity="critical"'], escalation: critical-default, group_wait: 0s}
    notify: {link: "https://vigil.example.com/incidents/{incident_id}"}

Receivers' kind options stay raw here (the core builds no channel); pass
`check_receiver` to `load_pack`/`load_packs` to have each receiver judged
(the shell's `vigil.receivers.receiver_problems`), its problems reported at
the option's line.

Durations are Prometheus style (`10s`, `5m`, `1h30m`, `30d`, `500ms`).
Series: metrics keep their name and labels (plus `service`); logs are
counted as `log_events{level}` and `log_pattern_matches{pattern, level}`;
receipts as `delivery_receipts{channel, provider, status}` and
`delivery_outcomes{channel, provider, outcome}` (one per message, by its
final status: success or failure). Annotation templates are Python format
strings over the alert's labels plus `value` and `threshold` (and, for an
SLO's burn-rate alerts, `slo`, `long_window`, `short_window`).
"""

from correlator.config.errors import ConfigError, ConfigProblem
from correlator.config.packfile import load_pack, load_packs, merge_packs, parse_pack
from correlator.config.routing import ReceiverCheck
from correlator.config.summary import describe_pack
from correlator.durations import format_duration, parse_duration

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "ReceiverCheck",
    "describe_pack",
    "format_duration",
    "load_pack",
    "load_packs",
    "merge_packs",
    "parse_duration",
    "parse_pack",
]

"""Counters and gauges, rendered as Prometheus text at GET /metrics. Owned by the app.

Every counter is declared in `COUNTERS`, so /metrics shows it from the start (at 0, or with
no sample yet for one split by a label): a dashboard can tell "none yet" from "not exported".
The README's metrics table lists the same names (tests/test_metrics.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

COUNTERS: dict[str, str] = {
    "hits_accepted": "hits queued for writing",
    "hits_dropped": (
        "hits answered as usual but not kept: no_consent, privacy_signal, bot, media, form,"
        " custom_action, referrer_spam"
    ),
    "bots_dropped": (
        "hits of bots not kept, by kind: ai, automation, crawler, feed, library, monitoring,"
        " preview, scanner, search, service, other"
    ),
    "hits_rejected": "hits refused with a 4xx and a reason (bad input), or invalid in a bulk",
    "hits_refused_full": "hits refused with 503: the queue was full",
    "hits_refused_disk": "hits refused with 503 in fsync mode: the journal could not be written",
    "hits_rate_limited": "hits refused with 429: their IP prefix was over COLLECTOR_RATE_LIMIT",
    "hits_stored": "hits written to the database",
    "hits_spilled": (
        "hits appended to the spill file during a database outage (fsync mode: handed from"
        " the journal to replay)"
    ),
    "hits_replayed": "hits written from the spill file once the database was back",
    "hits_unstorable": "spilled hits the database refused on replay, dropped",
    "hits_lost": "hits neither written nor spilled at shutdown",
    "hits_expired": "spilled hits older than retention when replayed, not written (P4)",
    "batches_written": "COPY batches written (also replayed ones)",
    "write_retries": "failed writes, retried with backoff",
    "spill_full": "times the spill files were at COLLECTOR_SPILL_MAX_BYTES",
    "spill_errors": "spill appends that failed (disk full, read-only)",
    "consent_receipts": "consent receipts written: optin, optout",
    "receipts_limited": (
        "choices over the receipt limit, no receipt written: optin (refused), optout (applied)"
    ),
    "usage_lines_received": "access-log lines received over syslog (UDP and TCP)",
    "usage_lines_refused": "access-log lines not stored, by reason (unparsable, expired, ...)",
    "usage_lines_dropped": "usage lines dropped: queue_full (UDP only; TCP waits instead)",
    "usage_lines_lost": "usage lines held in memory and not written at shutdown",
    "usage_lines_unstorable": "usage rows the database refused even cleaned, dropped",
    "usage_requests_stored": "usage rows written to the database",
    "usage_batches_written": "COPY batches of usage rows written",
    "usage_write_retries": "failed usage writes, retried with backoff",
}
LABELLED = frozenset(
    {
        "hits_dropped",
        "bots_dropped",
        "consent_receipts",
        "receipts_limited",
        "usage_lines_refused",
        "usage_lines_dropped",
    }
)
LABEL_NAMES = {"bots_dropped": "kind"}  # the others are split by `reason`


class Metrics:
    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()
        self._gauges: dict[str, Callable[[], float]] = {}
        self._help: dict[str, str] = {}

    def count(self, name: str, label: str = "", amount: int = 1) -> None:
        """Add to counter `name`, optionally split by one label value (`reason`, or the
        counter's name in LABEL_NAMES)."""
        self.counters[(name, label)] += amount

    def gauge(self, name: str, read: Callable[[], float], help_text: str = "") -> None:
        self._gauges[name] = read
        self._help[name] = help_text

    def value(self, name: str, label: str = "") -> int:
        return self.counters[(name, label)]

    def render(self) -> str:
        lines: list[str] = []
        names = sorted(set(COUNTERS) | {name for name, _ in self.counters})
        for name in names:
            if name in COUNTERS:
                lines.append(f"# HELP collector_{name} {COUNTERS[name]}")
            lines.append(f"# TYPE collector_{name} counter")
            samples = [(label, v) for (n, label), v in sorted(self.counters.items()) if n == name]
            if not samples and name not in LABELLED:
                samples = [("", 0)]
            label_name = LABEL_NAMES.get(name, "reason")
            for label, v in samples:
                tag = f'{{{label_name}="{label}"}}' if label else ""
                lines.append(f"collector_{name}{tag} {v}")
        for name, read in sorted(self._gauges.items()):
            if self._help[name]:
                lines.append(f"# HELP collector_{name} {self._help[name]}")
            lines.append(f"# TYPE collector_{name} gauge")
            lines.append(f"collector_{name} {read()}")
        return "\n".join(lines) + "\n"

"""How many consent receipts may be written (P7): they are proof, not a counter to inflate.

Any request that passes the same-site check writes a receipt, and a client that is not a
browser can forge `Origin`. Two token buckets (the tracking endpoint's `RateLimiter`) bound
what that costs: one per truncated IP prefix (the full address is gone by then, P2), against
one client; and one for the whole process, against many prefixes (IPv6 /48s are cheap),
which bounds the table: at most about `per_hour` rows an hour per collector process, each
kept for COLLECTOR_RECEIPT_RETENTION_DAYS. Pure: the caller passes the time.
"""

from __future__ import annotations

from collector.tracking.ratelimit import RateLimiter


class ReceiptLimit:
    def __init__(self, per_prefix_per_minute: int, per_hour: int) -> None:
        # Bursts as large as the rate: a whole school class may opt in at once from one NAT.
        self._prefixes = (
            RateLimiter(per_prefix_per_minute / 60, per_prefix_per_minute)
            if per_prefix_per_minute
            else None
        )
        self._total = RateLimiter(per_hour / 3600, per_hour, max_keys=1) if per_hour else None

    def take(self, prefix: str, now: float) -> float:
        """0 when a receipt from `prefix` may be written now (it is counted), else seconds
        to wait."""
        if self._prefixes is not None and (wait := self._prefixes.take(prefix, 1, now)):
            return wait
        return self._total.take("", 1, now) if self._total is not None else 0.0

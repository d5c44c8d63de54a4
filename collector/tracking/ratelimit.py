"""Per-IP-prefix rate limiting for the tracking endpoint: a token bucket per truncated prefix.

Keyed by the TRUNCATED address (P2: the full one is gone before this runs), so one bucket is
shared by everyone in the prefix (a /16 at the default IPv4 level, a /48 for IPv6): set the
rate for a whole network, not a person. Memory is bounded: at most `max_keys` buckets, the
least recently used evicted first (an evicted prefix starts again with a full bucket).
Off by default: deployments behind a proxy that rate-limits already (deploy/) need none.
Pure: the caller passes the time, so tests move a clock instead of sleeping.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_KEYS = 65_536


class RateLimiter:
    def __init__(self, rate: float, burst: int, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, time

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, cost: int, now: float) -> float:
        """0 when `cost` hits may pass now (and they are counted), else seconds to wait."""
        cost = min(cost, self.burst)  # a bulk larger than the burst still passes when full
        tokens, then = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(now - then, 0.0) * self.rate)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

"""A limit on failed logins per truncated IP prefix (the address is truncated first: P2).

Token bucket: `FAILURES` failed logins at once, then one more every `WINDOW / FAILURES`
seconds. A prefix over it is refused (429) before its password is even checked, so a guesser
cannot go on trying. Successful logins cost nothing. Bounded memory: the least recently seen
prefixes are forgotten first (they start with a full bucket). Per process: with N collectors
behind a balancer a prefix gets up to N times the rate. Pure: the caller passes the time.
"""

from __future__ import annotations

from collections import OrderedDict

FAILURES = 10
WINDOW = 900.0  # seconds: ten failures per quarter of an hour, as a steady rate
MAX_KEYS = 16_384


class LoginThrottle:
    def __init__(
        self, failures: int = FAILURES, window: float = WINDOW, max_keys: int = MAX_KEYS
    ) -> None:
        self.burst = float(failures)
        self.rate = failures / window
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + max(now - then, 0.0) * self.rate)

    def wait(self, key: str, now: float) -> float:
        """0 when `key` may try now, else the seconds until it may."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def failed(self, key: str, now: float) -> None:
        tokens = max(self._tokens(key, now) - 1.0, 0.0)
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

"""Per-IP-prefix rate limiting: a token bucket per truncated prefix, bounded memory, off by
default."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta

from collector.appkeys import METRICS, RATE_LIMITER
from collector.tracking.ratelimit import RateLimiter
from tests.support import CONSENT, running_app, settings_for


def test_a_prefix_gets_its_burst_then_waits_for_the_rate() -> None:
    limiter = RateLimiter(rate=2, burst=3)
    assert [limiter.take("198.51.0.0", 1, now=100.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("198.51.0.0", 1, now=100.0) == 0.5
    assert limiter.take("203.0.0.0", 1, now=100.0) == 0  # another prefix, its own bucket
    assert limiter.take("198.51.0.0", 1, now=100.5) == 0  # refilled by one token


def test_a_bulk_larger_than_the_burst_passes_on_a_full_bucket_only() -> None:
    limiter = RateLimiter(rate=1, burst=10)
    assert limiter.take("p", 100, now=0.0) == 0
    assert limiter.take("p", 100, now=5.0) == 5.0


def test_memory_is_bounded_by_evicting_the_least_recently_used_prefix() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_keys=100)
    limiter.take("old", 1, now=0.0)
    for i in range(10_000):
        limiter.take(f"2001:db8:{i:x}::", 1, now=1.0)
    assert len(limiter) == 100
    assert limiter.take("old", 1, now=1.0) == 0  # evicted: starts again with a full bucket


def test_rate_limiting_is_off_by_default(database_url: str) -> None:
    from collector.app import create_app

    assert create_app(settings_for(database_url))[RATE_LIMITER] is None


async def test_tracking_endpoint_answers_429_with_retry_after_per_prefix(
    database_url: str,
) -> None:
    settings = settings_for(
        database_url,
        rate_limit=1,
        rate_limit_burst=3,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    async with running_app(settings) as srv:
        srv.domain = f"rl-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("rl", srv.domain)

        async def hit(client: str) -> tuple[int, dict[str, str]]:
            status, headers, _ = await srv.get(
                "/matomo.php", srv.hit_params(), CONSENT, {"X-Forwarded-For": client}
            )
            return status, headers

        statuses = [(await hit(f"198.51.100.{i}"))[0] for i in range(1, 5)]
        other, _ = await hit("203.0.113.9")  # another /16 at level 2
        limited, headers = await hit("198.51.7.7")  # same /16: same bucket
        srv.clock.now += timedelta(seconds=1)
        later, _ = await hit("198.51.7.7")
        await srv.flush()
        stored = len(await srv.rows())
        rate_limited = srv.app[METRICS].value("hits_rate_limited")
    assert statuses == [200, 200, 200, 429]
    assert (other, limited, headers["Retry-After"], later) == (200, 429, "1", 200)
    assert stored == 5
    assert rate_limited == 2

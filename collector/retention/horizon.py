"""The time bounds of raw data, in one place: when an hour of raw hits is dropped, which hits
the roll-up still takes in, and how late a back-dated hit may be.

    a raw hit lives at most  RETENTION_DAYS x 24 h + 1 h - DROP_LEAD  (+ one job interval)

Partitions are UTC hours. The hour [H, H+1h) is dropped once H+1h is RETENTION_DAYS x 24 h
minus DROP_LEAD in the past, so its oldest hit (at H) is then less than an hour over; the
job that drops runs every ROLLUP_EVERY. The roll-up leaves alone hits within an hour of that
(`guard`), and the endpoint refuses `cdt` older than the guard: a hit it accepts is counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DROP_LEAD = timedelta(minutes=2)
# How often the roll-up job runs (new hits into the aggregates, then expiry).
ROLLUP_EVERY = timedelta(seconds=15)
# No transaction that writes hits lasts longer: COPYs and spill replays run under a statement
# timeout well below it (storage/db.py, WRITE_TIMEOUT). The roll-up reads new hits up to the
# start of the oldest transaction still running, but never waits for one older than this
# (sql/retention/arrived_until.sql).
LONGEST_WRITE = timedelta(seconds=30)
GUARD = timedelta(hours=1)


def retention(days: int) -> timedelta:
    return timedelta(days=days)


def drop_due(hour: datetime, now: datetime, retention_days: int) -> bool:
    """Whether the raw partition of UTC hour `hour` is due to be dropped at `now`."""
    return hour + timedelta(hours=1) + retention(retention_days) - DROP_LEAD <= now


def raw_gone_before(now: datetime, retention_days: int) -> datetime:
    """Raw hits before this instant are gone (their hours dropped), or go within minutes."""
    return now - retention(retention_days) + DROP_LEAD


def guard(now: datetime, retention_days: int) -> datetime:
    """The oldest hit time the roll-up takes in, and the oldest `cdt` the endpoint accepts."""
    return now - retention(retention_days) + GUARD

"""The roll-up: every hit that arrived since the last run, into the aggregates (`sql/rollup/`).

Each run is one transaction. It finds the sessions with new hits (by `hits.arrival`, so a
late, back-dated or replayed hit is found like any other), derives each touched session's
visits again from the start of the run of hits that changed, twice: from the hits the
aggregates hold already and from the hits there are now. The aggregates get the difference
(`sign` -1 and +1 per visit), so they always equal the sum of every visit's contribution,
and a run killed half-way leaves them as they were. The steps run in file-name order;
`docs/aggregates.md` has the whole design.

Erasure (`retract_session`) is the same with "the hits there are now" empty: the session's
visits are subtracted, then its rows deleted, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from collector.retention.horizon import LONGEST_WRITE, guard
from collector.storage.partitions import ensure_partition, existing_partitions
from collector.storage.sqlfile import bind, step, steps

log = logging.getLogger(__name__)

# sql/rollup/: 00 makes the work tables; 10-29 select the sessions and runs to derive (the
# job's selection: by arrival; an erasure has its own, sql/privacy/erase_runs.sql); 30-49
# derive their visits; 50- apply the difference to one aggregate table each.
_SETUP, _SELECTED, _APPLY = "00_work_tables", "30", "50"
_BEGINNING = datetime.min.replace(tzinfo=UTC)  # asyncpg sends it as -infinity
_FUTURE_SLACK = timedelta(hours=1)  # cdt may be 10 minutes ahead (tracking/params.py)
WORK_MEM = "64MB"  # one job connection at a time (the roll-up's lock)
# Work tables the later steps join on, given statistics once a run is this large; below it
# the planner's guess does no harm and ANALYZE would cost more than it saves every 15 s.
_ANALYZE_AFTER = {"40_visit_hits": "r_vhits", "45_visits": "r_visits"}
_ANALYZE_FROM_HITS = 20_000
# A catch-up this large (after an outage, an upgrade, the first run over imported history)
# applies its difference by hash or merge joins. A nested loop over an aggregate table whose
# statistics say empty re-reads, for every row of the difference, the rows this statement
# has inserted so far: quadratic, and hours for a day at 1M hits (seen on agg_visit_actions).
# Smaller runs keep the nested loops over the primary keys that suit them.
_NO_NESTED_LOOPS_FROM_HITS = 100_000


@dataclass(frozen=True, slots=True)
class RollUp:
    """What one run did."""

    arrived_from: datetime
    arrived_until: datetime
    sessions: int  # sessions whose visits were derived again
    hits: int  # hits read to derive them

    @property
    def idle(self) -> bool:
        return self.sessions == 0


async def _run(
    conn: asyncpg.Connection, files: Iterable[tuple[str, str]], params: Mapping[str, Any]
) -> None:
    for _name, sql in files:
        await conn.execute(*bind(sql, params))


def _between(low: str, high: str) -> list[tuple[str, str]]:
    return [(name, sql) for name, sql in steps("rollup") if low <= name < high]


async def _derive_and_apply(conn: asyncpg.Connection, params: Mapping[str, Any]) -> int:
    """The steps after the selection: derive visits twice, apply the difference."""
    derive = _between(_SELECTED, _APPLY)
    await _run(conn, derive[:1], params)  # 30_hits
    hits: int = await conn.fetchval("SELECT count(*) FROM r_hits")
    if hits:
        await conn.execute("ANALYZE r_hits")  # temporary tables have no statistics
        for name, sql in derive[1:]:
            await conn.execute(*bind(sql, params))
            if name in _ANALYZE_AFTER and hits >= _ANALYZE_FROM_HITS:
                await conn.execute(f"ANALYZE {_ANALYZE_AFTER[name]}")
        await _visit_partitions(conn)
        large = hits >= _NO_NESTED_LOOPS_FROM_HITS
        if large:
            await conn.execute("SET LOCAL enable_nestloop = off")
        await _run(conn, _between(_APPLY, "~"), params)
        if large:  # the caller's own statements in this transaction plan as usual
            await conn.execute("SET LOCAL enable_nestloop TO DEFAULT")
    return hits


async def _visit_partitions(conn: asyncpg.Connection) -> None:
    """The raw_visits partitions (UTC hours) the visits of this run go into: the job makes
    them ahead, so this creates one only for a back-dated hit's or a catch-up's hour."""
    hours = await conn.fetch(
        "SELECT DISTINCT date_trunc('hour', started_at AT TIME ZONE 'UTC') AS hour "
        "FROM r_visits WHERE sign = 1"
    )
    have = set(await existing_partitions(conn, "raw_visits"))
    for row in hours:
        if (hour := row["hour"].replace(tzinfo=UTC)) not in have:
            await ensure_partition(conn, hour, "raw_visits")


async def prepare(conn: asyncpg.Connection) -> None:
    """The work tables, once per connection (`sql/rollup/00_work_tables.sql`)."""
    await conn.execute(step("rollup", _SETUP))


async def roll_up(
    conn: asyncpg.Connection,
    now: datetime,
    retention_days: int,
    *,
    arrived_until: datetime | None = None,
) -> RollUp:
    """One run: hits that arrived before `arrived_until` and were not rolled up yet. By
    default, as far as every write has committed (sql/retention/arrived_until.sql); a test
    that knows nothing is in flight may say. `now` is the app's clock: it sets the guard."""
    await prepare(conn)
    async with conn.transaction():
        # Sorting a large catch-up (after an outage, an upgrade) in memory rather than on disk;
        # and no JIT: compiling the steps' expressions costs more than it saves at this size.
        await conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off")
        state = await conn.fetchrow(
            "SELECT arrived_until = '-infinity' AS initial, arrived_until "
            "FROM rollup_state FOR UPDATE"
        )
        arrived_from = _BEGINNING if state["initial"] else state["arrived_until"]
        until = arrived_until or await conn.fetchval(
            *bind(step("retention", "arrived_until"), {"longest": LONGEST_WRITE})
        )
        if until <= arrived_from:
            return RollUp(arrived_from, arrived_from, 0, 0)
        params = {
            "arrived_from": arrived_from,
            "arrived_until": until,
            # The first run takes in everything already stored (an upgrade from 006): the
            # old days past the guard are then counted before their partitions go.
            "guard": _BEGINNING if state["initial"] else guard(now, retention_days),
            "ts_until": now + _FUTURE_SLACK,
            "new_set": True,
        }
        for selection in _between("10", _SELECTED):
            await _run(conn, [selection], params)
            await conn.execute("ANALYZE r_touched, r_sessions")  # no statistics otherwise
        sessions: int = await conn.fetchval("SELECT count(*) FROM r_sessions")
        hits = await _derive_and_apply(conn, params) if sessions else 0
        await conn.execute("UPDATE rollup_state SET arrived_until = $1", until)
    return RollUp(arrived_from, until, sessions, hits)


async def retract_session(
    conn: asyncpg.Connection,
    now: datetime,
    retention_days: int,
    session_id: str,
    site_ids: list[int],
) -> None:
    """Subtract a session's visits from the aggregates, inside the caller's transaction (which
    then deletes its rows). The caller holds the roll-up's lock, so no run is half-way."""
    assert conn.is_in_transaction(), "retraction and deletion belong in one transaction"
    await prepare(conn)
    arrived_from = await conn.fetchval(
        "SELECT CASE WHEN arrived_until = '-infinity' THEN NULL ELSE arrived_until END "
        "FROM rollup_state"
    )
    if arrived_from is None:
        return  # nothing was rolled up yet
    params = {
        "arrived_from": arrived_from,
        "arrived_until": arrived_from,  # only what the aggregates hold
        "guard": guard(now, retention_days),
        "ts_until": now + _FUTURE_SLACK,
        "new_set": False,
        "session": session_id,
        "sites": site_ids,
    }
    await conn.execute(*bind(step("privacy", "erase_runs"), params))
    await _derive_and_apply(conn, params)

"""Rolling one day of raw hits up into the daily aggregate tables (`sql/rollup/*.sql`).

The steps run in file-name order inside the caller's transaction: first two temporary
tables (the day's hits with visits marked, and its visits), then one INSERT per aggregate
table, then the flag that keeps the next day's visits counted the same once this day is
dropped. The temporary tables, the only place session ids pass through, go at commit.
"""

from __future__ import annotations

import functools
import re
from datetime import date

import asyncpg

from collector.storage.db import sql_dir

_PARAM = re.compile(r"\$(\d+)")
_INSERTED = re.compile(r"^INSERT \d+ (\d+)$")


@functools.cache
def rollup_steps() -> tuple[tuple[str, str], ...]:
    """(name, sql) of each step, in order; read once, they do not change while running."""
    folder = sql_dir() / "rollup"
    return tuple((p.stem, p.read_text()) for p in sorted(folder.glob("*.sql")))


async def roll_up_day(conn: asyncpg.Connection, day: date, min_count: int) -> int:
    """Add `day`'s hits (all sites) to the aggregates; return the aggregate rows written.

    Must run inside a transaction that also drops the day's partition: rows are added to
    what is there, so rolling a day up twice without dropping it would count it twice.
    """
    assert conn.is_in_transaction(), "roll-up and drop belong in one transaction"
    written = 0
    args = (day, min_count)
    for _name, sql in rollup_steps():
        used = max((int(n) for n in _PARAM.findall(sql)), default=0)
        status = await conn.execute(sql, *args[:used])
        if m := _INSERTED.match(status):
            written += int(m[1])
    return written

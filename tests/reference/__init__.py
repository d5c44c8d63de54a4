"""The reference derivation: every report computed from raw hits alone, as the collector did
before migration 007 (visits derived with window functions over the period's hits), but over
all of a site's hits and cut at the site's local midnight. Tests compare what the aggregates
give with it; it is not beside the fast path (STYLE.md: the reference stays in the tests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from collector.reports.runner import _plain, report_names

HERE = Path(__file__).parent


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.sql") if p.stem != "visit_hits")


async def install(conn: asyncpg.Connection) -> None:
    """pg_temp.visit_hits(site) for this connection."""
    await conn.execute((HERE / "visit_hits.sql").read_text())


async def reference_report(
    conn: asyncpg.Connection, name: str, site_id: int, first: date, last: date, limit: int = 1000
) -> list[dict[str, Any]]:
    sql = (HERE / f"{name}.sql").read_text()
    args: list[Any] = [site_id, first, last, limit, None]
    used = 5 if "$5" in sql else 4 if "$4" in sql else 3
    rows = await conn.fetch(sql, *args[:used])
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


assert names() == report_names(), "a report without a reference (or the other way round)"

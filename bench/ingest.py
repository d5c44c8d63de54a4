#!/usr/bin/env python3
"""Writer throughput against PostgreSQL's own COPY of the same rows, in one run.

(a) the collector's writer: N enriched hits offered to `HitWriter`, timed until flushed;
(b) the same rows exported to a file in COPY text format and loaded back with COPY ... FROM
    STDIN (PostgreSQL parsing a file, no Python per row).
Reported: rows/s of each and the ratio writer/COPY. Usage:

    python bench/ingest.py [--rows 100000] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import DOMAIN, make_requests  # noqa: E402

from collector.config import Settings  # noqa: E402
from collector.metrics import Metrics  # noqa: E402
from collector.sites import add_site  # noqa: E402
from collector.storage.db import create_pool, migrate  # noqa: E402
from collector.storage.embedded import EmbeddedPostgres  # noqa: E402
from collector.storage.writer import HitWriter  # noqa: E402
from collector.tracking.hit import COLUMNS, Hit  # noqa: E402
from collector.tracking.params import HitContext, Site, parse_query  # noqa: E402
from collector.tracking.pipeline import process_hit  # noqa: E402
from collector.tracking.session import new_session  # noqa: E402


def build_hits(site: Site, n: int) -> list[Hit]:
    now = datetime.now(UTC)
    hits = []
    for path, headers in make_requests(site.site_id, n):
        params = parse_query(path.partition("?")[2])
        assert isinstance(params, dict)
        ctx = HitContext(new_session(), False, "198.51.0.0", headers["User-Agent"], "de", now)
        hit = process_hit(params, ctx, {site.site_id: site}.get, api_token=None, retention_days=7)
        assert isinstance(hit, Hit)
        hits.append(hit)
    return hits


async def _writer_round(pool: asyncpg.Pool, hits: list[Hit]) -> float:
    """Seconds for the writer to store `hits`, offered in request-sized chunks."""
    defaults = Settings()  # the writer as `collector serve` configures it by default
    writer = HitWriter(
        pool,
        Metrics(),
        capacity=defaults.queue_size,
        batch_size=defaults.batch_size,
        flush_interval=defaults.flush_interval_ms / 1000,
    )
    writer.start()
    t0 = time.perf_counter()
    for i in range(0, len(hits), 1000):
        while not writer.offer(hits[i : i + 1000]):
            await writer.flush()  # queue full: let the writer catch up (the endpoint says 503)
    await writer.flush()
    seconds = time.perf_counter() - t0
    await writer.close()
    return seconds


async def _copy_round(pool: asyncpg.Pool, site_id: int) -> float:
    """Seconds for PostgreSQL to COPY the writer's rows of `site_id` back from a file.
    In the order the writer inserted them (ctid: the partition is append-only), so that
    both pay the same random index inserts."""
    with tempfile.NamedTemporaryFile(suffix=".copy") as dump:
        async with pool.acquire() as conn:
            await conn.copy_from_query(
                f"SELECT {', '.join(COLUMNS)} FROM hits WHERE site_id = $1 ORDER BY ctid",
                site_id,
                output=dump.name,
            )
            t0 = time.perf_counter()
            await conn.copy_to_table("hits", source=dump.name, columns=COLUMNS)
            return time.perf_counter() - t0


async def run(dsn: str, rows: int, rounds: int) -> dict:
    """`rounds` alternating writer/COPY rounds (a checkpoint or autovacuum on this shared
    machine can slow any one of them); the medians are compared."""
    pool = await create_pool(dsn, max_size=2)
    writer_s, copy_s, stored = [], [], 0
    try:
        for _ in range(rounds):
            async with pool.acquire() as conn:
                await migrate(conn)
                site_id = await add_site(conn, "ingest bench", [DOMAIN])
            hits = build_hits(Site(site_id, "ingest", (DOMAIN,)), rows)
            writer_s.append(await _writer_round(pool, hits))
            copy_s.append(await _copy_round(pool, site_id))
            async with pool.acquire() as conn:
                stored += await conn.fetchval("SELECT count(*) FROM hits WHERE site_id=$1", site_id)
    finally:
        await pool.close()
    w, c = statistics.median(writer_s), statistics.median(copy_s)
    return {
        "rows": rows,
        "rounds": rounds,
        "writer_rows_per_s": round(rows / w),
        "copy_rows_per_s": round(rows / c),
        "ratio": round(c / w, 3),
        "stored": stored,  # writer's rows plus COPY's: 2 x rows per round
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians compared")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    async with AsyncExitStack() as stack:
        dsn = os.environ.get("COLLECTOR_DATABASE_URL")
        if not dsn:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-"))
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            stack.callback(embedded.stop)
        result = await run(dsn, args.rows, args.rounds)
    for key, value in result.items():
        print(f"{key:18s}  {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())

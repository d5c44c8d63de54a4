#!/usr/bin/env python3
"""Writer throughput against PostgreSQL's own COPY of the same rows, in one run.

(a) the collector's writer: N enriched hits offered to `HitWriter`, timed until flushed;
(b) the same rows exported to a file in COPY text format and loaded back with COPY ... FROM
    STDIN (PostgreSQL parsing a file, no Python per row).
Reported: rows/s of each and the ratio writer/COPY. Usage:

    python bench/ingest.py [--rows 100000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import DOMAIN, make_requests  # noqa: E402

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


async def run(dsn: str, rows: int) -> dict:
    pool = await create_pool(dsn, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn)
        site_id = await add_site(conn, "ingest bench", [DOMAIN])
    hits = build_hits(Site(site_id, "ingest", (DOMAIN,)), rows)

    writer = HitWriter(pool, Metrics(), capacity=50_000, batch_size=1000, flush_interval=0.2)
    writer.start()
    t0 = time.perf_counter()
    for i in range(0, len(hits), 1000):
        while not writer.offer(hits[i : i + 1000]):
            await writer.flush()  # queue full: let the writer catch up (the endpoint says 503)
    await writer.flush()
    writer_s = time.perf_counter() - t0
    await writer.close()

    with tempfile.NamedTemporaryFile(suffix=".copy") as dump:
        async with pool.acquire() as conn:
            await conn.copy_from_query(
                f"SELECT {', '.join(COLUMNS)} FROM hits WHERE site_id = $1",
                site_id,
                output=dump.name,
            )
            t0 = time.perf_counter()
            await conn.copy_to_table("hits", source=dump.name, columns=COLUMNS)
            copy_s = time.perf_counter() - t0
            stored = await conn.fetchval("SELECT count(*) FROM hits WHERE site_id=$1", site_id)
    await pool.close()
    return {
        "rows": rows,
        "writer_rows_per_s": round(rows / writer_s),
        "copy_rows_per_s": round(rows / copy_s),
        "ratio": round(copy_s / writer_s, 3),
        "stored": stored,  # writer's rows plus COPY's: 2 x rows
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    async with AsyncExitStack() as stack:
        dsn = os.environ.get("COLLECTOR_DATABASE_URL")
        if not dsn:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-"))
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            stack.callback(embedded.stop)
        result = await run(dsn, args.rows)
    for key, value in result.items():
        print(f"{key:18s}  {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())

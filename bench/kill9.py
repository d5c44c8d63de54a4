"""Measure the kill -9 loss window: hits acknowledged (200) but never stored.

Starts `collector serve` on a PostgreSQL of its own, sends hits one after another, kills
the process with SIGKILL, starts it again (which replays any spill file) and compares what
was acknowledged with what is stored. Run with the database up and during an outage, in the
default `COLLECTOR_DURABILITY=batch` and in `fsync` (a hit answered only once on disk):

    .venv/bin/python bench/kill9.py                     # all four
    .venv/bin/python bench/kill9.py --durability fsync  # one mode

Not a test: the numbers depend on the machine. The README quotes a run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from collector.storage.spill import orphans
from tests.support import CONSENT, StoppablePostgres, free_port
from tests.test_cli import _wait_healthy, collector

SECONDS = 3.0


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # output to a file: a pipe nobody reads fills up and stalls the server's logging
    log = open(Path(env["COLLECTOR_DATA_DIR"]).with_suffix(".log"), "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "collector", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


async def send(port: int, site: int, domain: str, seconds: float) -> dict[int, float]:
    """Hits until `seconds` pass; {hit number: monotonic time its 200 arrived}."""
    acked: dict[int, float] = {}
    cookie = "; ".join(f"{k}={v}" for k, v in CONSENT.items())
    async with aiohttp.ClientSession(
        headers={"Cookie": cookie, "User-Agent": "Mozilla/5.0 Chrome/130"}
    ) as http:
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            url = (
                f"http://127.0.0.1:{port}/matomo.php?idsite={site}&rec=1"
                f"&url=https://{domain}/&action_name={i}"
            )
            async with http.get(url) as resp:
                if resp.status == 200:
                    acked[i] = time.monotonic()
            i += 1
    return acked


async def stored(dsn: str, site: int) -> set[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT title FROM hits WHERE site_id = $1", site)
    finally:
        await conn.close()
    return {int(r["title"]) for r in rows}


def scenario(pg: StoppablePostgres, outage: bool, data: Path, durability: str) -> dict:
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": pg.dsn,
        "COLLECTOR_DATA_DIR": str(data),
        "COLLECTOR_DURABILITY": durability,
    }
    domain = f"k{time.time_ns()}.example"
    site = int(collector("site", "add", "--name", "k", "--domain", domain, env=env))
    port = free_port()
    proc = _start(env, port)
    _wait_healthy(port, proc)
    if outage:
        pg.stop()
    acked = asyncio.run(send(port, site, domain, SECONDS))
    killed_at = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if outage:
        pg.start()
    left = orphans(data / "spill")  # the killed process's spill file or journal
    proc = _start(env, port)  # replays them
    _wait_healthy(port, proc)
    deadline = time.monotonic() + 60
    while any(p.exists() for p in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    _stop(proc)
    have = asyncio.run(stored(pg.dsn, site))
    lost = {i: killed_at - t for i, t in acked.items() if i not in have}
    return {
        "durability": durability,
        "scenario": "outage" if outage else "database up",
        "acknowledged": len(acked),
        "lost": len(lost),
        "oldest_lost_ack_ms": round(max(lost.values()) * 1000 if lost else 0.0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--durability", choices=["batch", "fsync", "both"], default="both")
    ap.add_argument("--json", action="store_true", help="print one JSON line last")
    args = ap.parse_args()
    modes = ["batch", "fsync"] if args.durability == "both" else [args.durability]
    results = []
    with tempfile.TemporaryDirectory(prefix="kill9-") as tmp, StoppablePostgres(Path(tmp)) as pg:
        for durability in modes:
            for outage in (False, True):
                data = Path(tmp) / f"data-{durability}-{'outage' if outage else 'up'}"
                r = scenario(pg, outage, data, durability)
                results.append(r)
                print(
                    f"{r['durability']:6} {r['scenario']:12} acknowledged={r['acknowledged']:6}"
                    f" lost={r['lost']:5} oldest_lost_ack={r['oldest_lost_ack_ms']:5} ms"
                    " before the kill",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()

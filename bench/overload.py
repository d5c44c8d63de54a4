#!/usr/bin/env python3
"""Memory under overload: load far above what the database takes, for a while.

The `hits` table is locked by another session for the whole load, so the writer cannot
write at all; the queue fills to its bound and every further hit must get 503. Sampled
each half second: the collector's RSS. Afterwards the lock is released, the collector shut
down gracefully, and the rows counted: every hit answered 2xx must be stored. Usage:

    python bench/overload.py [--seconds 30] [--connections 256] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import free_port, lua_script, make_requests, prepare_site, wait_ready  # noqa: E402

from collector.storage.embedded import EmbeddedPostgres  # noqa: E402


async def hold_lock(dsn: str, release: threading.Event, held: threading.Event) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
            held.set()
            await asyncio.to_thread(release.wait)
    finally:
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk (Debian package wrk)")

    with ExitStack() as stack:
        dsn = os.environ.get("COLLECTOR_DATABASE_URL")
        if not dsn:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-"))
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            stack.callback(embedded.stop)
        site_id = asyncio.run(prepare_site(dsn))
        script = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "hits.lua"
        lua_script(make_requests(site_id, 5000), script)

        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COLLECTOR_DATABASE_URL": dsn,
            "COLLECTOR_DATA_DIR": stack.enter_context(tempfile.TemporaryDirectory()),
        }
        log = stack.enter_context(tempfile.TemporaryFile("w+"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "collector", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        wait_ready(port, proc)
        ps = psutil.Process(proc.pid)

        release, held = threading.Event(), threading.Event()
        locker = threading.Thread(target=asyncio.run, args=(hold_lock(dsn, release, held),))
        locker.start()
        held.wait(30)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(ps.memory_info().rss / 2**20)
                time.sleep(0.5)

        sampler = threading.Thread(target=sample)
        sampler.start()
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}/matomo.php",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        done.set()
        sampler.join()
        release.set()
        locker.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        wrk = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRK "))[4:])

        async def count() -> int:
            conn = await asyncpg.connect(dsn)
            try:
                return int(
                    await conn.fetchval("SELECT count(*) FROM hits WHERE site_id=$1", site_id)
                )
            finally:
                await conn.close()

        stored = asyncio.run(count())

    answered = wrk["requests"] - wrk["non2xx"]
    tail = samples[len(samples) // 2 :]
    result = {
        "seconds": args.seconds,
        "connections": args.connections,
        "requests": wrk["requests"],
        "answered_2xx": answered,
        "answered_503": wrk["non2xx"],
        "stored": stored,
        "lost": max(0, answered - stored),
        "rss_start_mb": round(samples[0], 1),
        "rss_peak_mb": round(max(samples), 1),
        "rss_second_half_min_max_mb": [round(min(tail), 1), round(max(tail), 1)],
    }
    for key, value in result.items():
        print(f"{key:28s}  {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()

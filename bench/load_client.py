"""Fallback load generator (when wrk is missing): asyncio, keep-alive, fixed connections."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp


async def worker(session, base, reqs, offset, deadline, stats, lat):
    i = offset
    while time.monotonic() < deadline:
        path, headers = reqs[i % len(reqs)]
        i += 7
        t0 = time.perf_counter()
        try:
            async with session.get(base + path, headers=headers) as resp:
                await resp.read()
                stats["requests"] += 1
                if resp.status >= 400:
                    stats["non2xx"] += 1
        except aiohttp.ClientError:
            stats["socket_errors"] += 1
        lat.append(time.perf_counter() - t0)


async def main(reqs: list) -> None:
    port, seconds, conns = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
    stats = {"requests": 0, "non2xx": 0, "socket_errors": 0}
    lat: list[float] = []
    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), skip_auto_headers=["User-Agent"]
    ) as session:
        start = time.monotonic()
        deadline = start + seconds
        base = f"http://127.0.0.1:{port}"
        await asyncio.gather(
            *(worker(session, base, reqs, k, deadline, stats, lat) for k in range(conns))
        )
        duration = time.monotonic() - start
    lat.sort()
    pct = lambda q: int(lat[min(len(lat) - 1, int(q * len(lat)))] * 1e6) if lat else 0  # noqa: E731
    print(
        json.dumps(
            {**stats, "duration_us": int(duration * 1e6), "p50_us": pct(0.50), "p99_us": pct(0.99)}
        )
    )


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[2]).read_text())))

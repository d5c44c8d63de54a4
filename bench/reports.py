#!/usr/bin/env python3
"""Reports at scale: a week of traffic through the collector's own ingest, two years of
daily history, then every report over 1, 7, 30 and 365 days and the dashboard page, timed
over HTTP against `collector serve`, cold and warm. Also the cost of the roll-up: ingest
with the roll-up job running against ingest without it, in the same run.

    python bench/reports.py [--hits-per-day 20000] [--days 7] [--history-days 730]
                            [--runs 5] [--restart-cmd "pg_ctlcluster 15 main restart"] [--json]
                            [--against OTHER_CHECKOUT]

With --against, the dashboards are measured twice more on the same data: by the other
checkout's `collector serve`, then by this one again (an A/B in one run, same warm caches).

Traffic: visits of 1-12 pageviews (heartbeats while reading), with events, downloads,
outlinks and site searches; pages, referrer hosts and search terms drawn from Zipf-like
distributions over thousands of values; a day's visits follow a city's day (few at night);
a site in Europe/Berlin. Hits go through the pipeline the endpoint runs (validation,
enrichment) and the writer (COPY), not through HTTP: a bulk request carries one visitor's
cookies, so a week of sessions over HTTP would be a benchmark of the client. History is
written directly into the aggregates, with cardinalities scaled to the traffic.

The database: COLLECTOR_DATABASE_URL's server (a new database, dropped afterwards unless
--keep), else the machine's PostgreSQL on 127.0.0.1:5432. "cold" is the first request after
`collector serve` started (new connections, no plans cached); with --restart-cmd the
PostgreSQL server is restarted first too (shared buffers empty; the OS page cache stays).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import time
import zoneinfo
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector.config import Settings  # noqa: E402
from collector.metrics import Metrics  # noqa: E402
from collector.reports.runner import report_names  # noqa: E402
from collector.retention.rollup import roll_up  # noqa: E402
from collector.sites import add_site  # noqa: E402
from collector.storage.db import create_pool, migrate  # noqa: E402
from collector.storage.partitions import ensure_partitions  # noqa: E402
from collector.storage.writer import HitWriter  # noqa: E402
from collector.tracking.hit import Hit  # noqa: E402
from collector.tracking.params import HitContext, Site  # noqa: E402
from collector.tracking.pipeline import process_hit  # noqa: E402
from tests.support import dashboard_cookie  # noqa: E402

DOMAIN = "www.stadt.example"
ZONE = "Europe/Berlin"
TOKEN = "bench-token"
SERVICE = "postgresql://postgres@127.0.0.1:5432/postgres"
PERIODS = (1, 7, 30, 365)
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
]
SEARCH = ["https://www.google.de/", "https://www.bing.com/", "https://duckduckgo.com/",
          "https://www.ecosia.org/", "https://www.google.com/"]  # fmt: skip
SOCIAL = ["https://m.facebook.com/", "https://www.instagram.com/", "https://t.co/x",
          "https://www.linkedin.com/feed/", "https://mastodon.social/@stadt"]  # fmt: skip
# visits per hour of a city's day (local), relative
DAY_SHAPE = [1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 9, 9, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1]


@dataclass(frozen=True)
class Scale:
    """Cardinalities that grow with traffic (a busier portal has more pages)."""

    pages: int
    websites: int
    keywords: int
    targets: int
    campaigns: int

    @classmethod
    def of(cls, hits_per_day: int) -> Scale:
        k = hits_per_day / 1_000_000
        return cls(
            pages=max(200, int(20_000 * k**0.6)),
            websites=max(50, int(3_000 * k**0.6)),
            keywords=max(50, int(8_000 * k**0.6)),
            targets=max(20, int(2_000 * k**0.6)),
            campaigns=max(5, int(60 * k**0.3)),
        )


def zipf(rng: random.Random, n: int) -> int:
    """An index in [0, n) with Zipf-like weights (1/rank)."""
    return min(n - 1, int(math.exp(rng.random() * math.log(n + 1))) - 1)


class Traffic:
    """Visits, a session each (some sessions come back later that day), in time order."""

    def __init__(self, rng: random.Random, scale: Scale, site_id: int) -> None:
        self.rng, self.scale, self.site = rng, scale, str(site_id)
        self.sessions: list[str] = []

    def _url(self, page: int, query: str = "") -> str:
        path = "/" if page == 0 else f"/bereich/{page % 97}/seite-{page}"
        return f"https://{DOMAIN}{path}{query}"

    def visit(self, start: datetime) -> Iterator[tuple[datetime, dict[str, str]]]:
        rng, s = self.rng, self.scale
        params: dict[str, str] = {"idsite": self.site, "rec": "1", "res": "1920x1080"}
        roll = rng.random()
        query = ""
        if roll < 0.35:
            params["urlref"] = rng.choice(SEARCH)
        elif roll < 0.45:
            params["urlref"] = rng.choice(SOCIAL)
        elif roll < 0.55:
            params["urlref"] = f"https://site{zipf(rng, s.websites)}.example/link"
        elif roll < 0.6:
            c = zipf(rng, s.campaigns)
            query = f"?mtm_campaign=kampagne-{c}&mtm_source=newsletter&mtm_medium=email"
        ts = start
        page = zipf(rng, s.pages)
        for i in range(max(1, min(12, int(rng.expovariate(1 / 2.5)) + 1))):
            if i:
                page = zipf(rng, s.pages)
                params.pop("urlref", None)
            yield ts, {**params, "url": self._url(page, query if i == 0 else ""),
                       "action_name": f"Seite {page}"}  # fmt: skip
            for _ in range(rng.choice((0, 0, 1, 2, 4))):  # heartbeats while reading
                ts += timedelta(seconds=15)
                yield ts, {**params, "url": self._url(page), "ping": "1"}
            extra = rng.random()
            ts += timedelta(seconds=rng.randint(5, 90))
            url = self._url(page)
            if extra < 0.06:
                action = rng.choice(["play", "stop"])
                yield ts, {**params, "url": url, "e_c": "Video", "e_a": action,
                           "e_n": f"video-{zipf(rng, 50)}", "e_v": "1"}  # fmt: skip
            elif extra < 0.1:
                yield (
                    ts,
                    {
                        **params,
                        "url": url,
                        "download": f"https://{DOMAIN}/dateien/dok-{zipf(rng, s.targets)}.pdf",
                    },
                )
            elif extra < 0.13:
                yield (
                    ts,
                    {
                        **params,
                        "url": url,
                        "link": f"https://partner{zipf(rng, s.targets)}.example/",
                    },
                )
            elif extra < 0.17:
                yield ts, {**params, "url": url, "search": f"begriff {zipf(rng, s.keywords)}",
                           "search_count": str(rng.choice([0, 3, 12]))}  # fmt: skip

    def session(self) -> tuple[str, bool]:
        if self.sessions and self.rng.random() < 0.15:  # the same browser, a later visit
            return self.rng.choice(self.sessions[-5000:]), False
        session = secrets.token_hex(16)
        self.sessions.append(session)
        if len(self.sessions) > 20_000:
            del self.sessions[:10_000]
        return session, True


def hours_of_traffic(
    first: datetime, last: datetime, hits_per_day: int
) -> Iterator[tuple[datetime, int]]:
    """(hour, visits to start in it) from `first` to `last`, shaped like a city's day."""
    per_visit = 5.0  # hits per visit, about, with heartbeats
    hour = first.replace(minute=0, second=0, microsecond=0)
    total = sum(DAY_SHAPE)
    berlin = zoneinfo.ZoneInfo(ZONE)
    while hour < last:
        weight = DAY_SHAPE[hour.astimezone(berlin).hour] / total
        yield hour, max(1, round(hits_per_day / per_visit * weight))
        hour += timedelta(hours=1)


async def fill(
    pool: asyncpg.Pool,
    site: Site,
    first: datetime,
    last: datetime,
    hits_per_day: int,
    rng: random.Random,
    *,
    rollup: bool,
    seconds: float | None = None,
) -> dict[str, Any]:
    """Send traffic from `first` to `last` (or for `seconds`) through the pipeline and the
    writer; with `rollup`, the roll-up runs every 15 s meanwhile, as `collector serve`'s job
    does."""
    defaults = Settings()
    writer = HitWriter(pool, Metrics(), capacity=defaults.queue_size,
                       batch_size=defaults.batch_size,
                       flush_interval=defaults.flush_interval_ms / 1000)  # fmt: skip
    writer.start()
    traffic = Traffic(rng, Scale.of(hits_per_day), site.site_id)
    find = {site.site_id: site}.get
    stop = asyncio.Event()
    rollups: list[float] = []

    async def rolling() -> None:
        async with pool.acquire() as conn:
            while not stop.is_set():
                t0 = time.perf_counter()
                await roll_up(conn, datetime.now(UTC), defaults.retention_days)
                rollups.append(time.perf_counter() - t0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 15)

    roller = asyncio.create_task(rolling()) if rollup else None
    sent = 0
    t0 = time.perf_counter()
    for hour, visits in hours_of_traffic(first, last, hits_per_day):
        batch: list[Hit] = []
        for _ in range(visits):
            start = hour + timedelta(seconds=rng.randrange(3600))
            session, new = traffic.session()
            ua = rng.choice(AGENTS)
            for ts, params in traffic.visit(start):
                if ts > last:
                    break
                ctx = HitContext(session, new, "198.51.0.0", ua, "de-DE,de;q=0.9", ts)
                hit = process_hit(params, ctx, find, api_token=None, retention_days=7)
                if isinstance(hit, Hit):
                    batch.append(hit)
        batch.sort(key=lambda h: h.ts)
        for i in range(0, len(batch), 1000):
            while not writer.offer(batch[i : i + 1000]):
                await writer.drained()  # the endpoint would answer 503
        sent += len(batch)
        await asyncio.sleep(0)
        if seconds is not None and time.perf_counter() - t0 > seconds:
            break
    await writer.flush()
    elapsed = time.perf_counter() - t0
    await writer.close()
    stop.set()
    if roller:
        await roller
    return {
        "hits": sent,
        "seconds": round(elapsed, 1),
        "hits_per_s": round(sent / elapsed),
        "rollup_runs": len(rollups),
        "rollup_s_max": round(max(rollups, default=0), 2),
    }


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) PostgreSQL backends `pids` used so far (local server)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def new_site(pool: asyncpg.Pool, since: datetime, hours: int) -> Site:
    """A new database's schema, `hours` of hourly partitions from `since`, and the site."""
    async with pool.acquire() as conn:
        await migrate(conn)
        await ensure_partitions(conn, since, hours)
        site_id = await add_site(conn, "Stadt", [DOMAIN], ZONE)
    return Site(site_id, "Stadt", (DOMAIN,), ZONE)


async def ingest_cost(server: str, hits_wanted: int, now: datetime) -> dict[str, Any]:
    """CPU per hit of ingest (the pipeline and the writer's COPYs: this process and its
    backends) against CPU per hit of the roll-up (its backend), for the same hits. CPU, not
    wall time: this machine is shared, and the roll-up runs beside ingest on another core."""
    async with database(server, keep=False) as dsn:
        pool = await create_pool(dsn, min_size=2, max_size=2)
        site = await new_site(pool, now - timedelta(days=1), 30)
        pids = [await pool.fetchval("SELECT pg_backend_pid()") for _ in range(4)]
        traffic = Traffic(random.Random(3), Scale.of(1_000_000), site.site_id)
        rng = random.Random(4)
        requests = []  # generated first: what a browser would send, not what ingest costs
        for hour, visits in hours_of_traffic(now - timedelta(hours=23), now, hits_wanted):
            for _ in range(visits):
                session, new = traffic.session()
                ua = rng.choice(AGENTS)
                start = hour + timedelta(seconds=rng.randrange(3600))
                requests += [(ts, p, session, new, ua) for ts, p in traffic.visit(start)]
        requests.sort(key=lambda r: r[0])
        defaults = Settings()
        writer = HitWriter(pool, Metrics(), capacity=defaults.queue_size,
                           batch_size=defaults.batch_size,
                           flush_interval=defaults.flush_interval_ms / 1000)  # fmt: skip
        writer.start()
        find = {site.site_id: site}.get
        cpu0, pg0, t0 = own_cpu(), backend_cpu(sorted(set(pids))), time.perf_counter()
        chunk: list[Hit] = []
        for ts, params, session, new, ua in requests:
            ctx = HitContext(session, new, "198.51.0.0", ua, "de-DE,de;q=0.9", ts)
            hit = process_hit(params, ctx, find, api_token=None, retention_days=7)
            if isinstance(hit, Hit):
                chunk.append(hit)
            if len(chunk) == 100:  # a bulk request's worth
                while not writer.offer(chunk):
                    await writer.drained()
                chunk = []
        writer.offer(chunk)
        await writer.flush()
        ingest_s = time.perf_counter() - t0
        ingest_cpu = own_cpu() - cpu0 + backend_cpu(sorted(set(pids))) - pg0
        await writer.close()
        hits = len(requests)
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            until = await conn.fetchval("SELECT clock_timestamp()")
            cpu1, t1 = backend_cpu([pid]) + own_cpu(), time.perf_counter()
            done = await roll_up(conn, now, 7, arrived_until=until)
            rollup_s = time.perf_counter() - t1
            rollup_cpu = backend_cpu([pid]) + own_cpu() - cpu1
        await pool.close()
    return {
        "hits": hits,
        "ingest_hits_per_s": round(hits / ingest_s),
        "ingest_cpu_us_per_hit": round(ingest_cpu / hits * 1e6, 1),
        "rollup_hits_per_s": round(done.hits / rollup_s),
        "rollup_cpu_us_per_hit": round(rollup_cpu / hits * 1e6, 1),
        "rollup_share_of_ingest_cpu": round(rollup_cpu / ingest_cpu, 3),
    }


async def ingest_beside_rollup(server: str, hits_per_day: int, seconds: float,
                               rounds: int, now: datetime) -> dict[str, Any]:  # fmt: skip
    """Ingest throughput (the pipeline and the writer, as `fill`) for `seconds`, without and
    with the roll-up job running every 15 s beside it, alternated `rounds` times, each in a
    new database and with the same traffic. The fill runs ~25,000 hits/s, far above any real
    site, so every roll-up run is a catch-up of hundreds of thousands of hits: the upper
    bound of what the job takes from ingest."""
    out: dict[str, list[int]] = {"without": [], "with": []}
    for _ in range(rounds):
        for label in ("without", "with"):
            async with database(server, keep=False) as dsn:
                pool = await create_pool(dsn, max_size=3)
                site = await new_site(pool, now - timedelta(days=2), 24 * 3)
                first = now - timedelta(days=1)
                done = await fill(pool, site, first, now, hits_per_day, random.Random(5),
                                  rollup=label == "with", seconds=seconds)  # fmt: skip
                out[label].append(done["hits_per_s"])
                await pool.close()
    without, with_ = statistics.median(out["without"]), statistics.median(out["with"])
    return {
        "seconds": seconds,
        "hits_per_s_without_rollup": out["without"],
        "hits_per_s_with_rollup": out["with"],
        "throughput_cost_of_rollup": round(1 - with_ / without, 3),
    }


HISTORY = sorted((ROOT / "bench" / "history").glob("agg_*.sql"))


async def write_history(pool: asyncpg.Pool, site_id: int, first: Any, last: Any,
                        hits_per_day: int) -> int:  # fmt: skip
    s = Scale.of(hits_per_day)
    cap = Settings().rollup_max_rows  # folded days keep at most this many rows a report
    values = {"agg_pages": s.pages, "agg_titles": s.pages, "agg_referrers": s.websites,
              "agg_site_search": s.keywords, "agg_targets": s.targets}  # fmt: skip
    values = {table: min(n, cap) for table, n in values.items()}
    rows = 0
    async with pool.acquire() as conn:
        for path in HISTORY:
            args: list[Any] = [site_id, first, last, float(hits_per_day)]
            if path.stem in values:
                args.append(values[path.stem])  # $5: how many values a day
            status = await conn.execute(path.read_text(), *args)
            rows += int(status.rsplit(" ", 1)[1])
        await conn.execute(
            "INSERT INTO folded_days (site_id, day) SELECT $1, d::date "
            "FROM generate_series($2::date, $3::date, interval '1 day') d",
            site_id, first, last,
        )  # fmt: skip
        for path in HISTORY:
            await conn.execute(f"ANALYZE {path.stem}")
    return rows


@contextlib.asynccontextmanager
async def database(server_dsn: str, keep: bool) -> AsyncIterator[str]:
    name = f"bench_reports_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    parts = urlsplit(server_dsn)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        if not keep:
            admin = await asyncpg.connect(server_dsn)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(dsn: str, checkout: Path = ROOT) -> Iterator[str]:
    """`collector serve` of `checkout` (this one, or --against's) on `dsn`."""
    port = free_port()
    env = {**os.environ, "COLLECTOR_DATABASE_URL": dsn, "COLLECTOR_API_TOKEN": TOKEN,
           "COLLECTOR_DATA_DIR": f"/tmp/bench-reports-{port}"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "collector", "serve", "--port", str(port)], cwd=checkout,
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/bench-reports-{port}.log", "w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                import urllib.request

                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


async def timed(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> float:
    """Milliseconds to the whole answer; an answer other than 200 (a 503 when a report ran
    past COLLECTOR_REPORT_TIMEOUT_MS) is negative: -status."""
    t0 = time.perf_counter()
    async with http.get(url, headers=headers) as resp:
        await resp.read()
        if resp.status != 200:
            return -float(resp.status)
    return (time.perf_counter() - t0) * 1000


async def measure(
    base: str, site_id: int, today: Any, runs: int, dashboards_only: bool = False
) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    out: dict[str, Any] = {"reports": {}}
    async with aiohttp.ClientSession() as http:
        dash = {"Cookie": f"collector_dashboard={await dashboard_cookie(base, '', TOKEN)}"}
        targets: list[tuple[str, str, dict[str, str]]] = []
        for days in PERIODS:
            first = today - timedelta(days=days - 1)
            period = f"site={site_id}&from={first}&to={today}"
            for name in report_names():
                if name == "visits-by-hour" and days > 31:
                    continue
                targets.append((f"{name}/{days}", f"{base}/api/reports/{name}?{period}", auth))
            targets.append((f"dashboard/{days}", f"{base}/dashboard?{period}", dash))
            if days <= 30:  # filters (the facets have no history here) and comparison
                for key, extra in FILTERED:
                    targets.append((f"{key}/{days}", f"{base}/dashboard?{period}&{extra}", dash))
        targets.append(("live", f"{base}/api/live?site={site_id}", auth))
        if dashboards_only:
            targets = [t for t in targets if t[0].startswith("dashboard")]
        cold = {key: await timed(http, url, h) for key, url, h in targets}
        warm: dict[str, list[float]] = {key: [] for key, _, _ in targets}
        for _ in range(runs):
            for key, url, h in targets:
                warm[key].append(await timed(http, url, h))
    for key, _, _ in targets:
        out["reports"][key] = {"cold_ms": round(cold[key], 1),
                               "warm_ms": round(statistics.median(warm[key]), 1)}  # fmt: skip
    return out


# The filtered dashboards: by visit values (visit facets), combined, by a page viewed
# (agg_visit_actions), by a page and an event (raw visits), and the comparison
# with the previous period.
FILTERED = (
    ("dashboard-browser", "browser=Chrome"),
    ("dashboard-browser-search", "browser=Chrome&channel=search"),
    ("dashboard-page", "page=/"),
    ("dashboard-page-event", "page=/&event=Video"),  # two things done: raw visits
    ("dashboard-compare", "compare=previous"),
)


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    r = result["reports"]

    def worst(days: int, kind: str) -> tuple[str, float]:
        items = [(k, v[kind]) for k, v in r.items()
                 if k.endswith(f"/{days}") and not k.startswith("dashboard")]  # fmt: skip
        return max(items, key=lambda kv: kv[1])

    return {
        "slowest_report_7d_warm": worst(7, "warm_ms"),
        "slowest_report_7d_cold": worst(7, "cold_ms"),
        "slowest_report_365d_warm": worst(365, "warm_ms"),
        "dashboard_7d_warm_ms": r["dashboard/7"]["warm_ms"],
        "dashboard_7d_cold_ms": r["dashboard/7"]["cold_ms"],
        "dashboard_1d_warm_ms": r["dashboard/1"]["warm_ms"],
        **{f"{key.replace('-', '_')}_7d_warm_ms": r[f"{key}/7"]["warm_ms"] for key, _ in FILTERED},
        **{f"{key.replace('-', '_')}_7d_cold_ms": r[f"{key}/7"]["cold_ms"] for key, _ in FILTERED},
        "live_warm_ms": r["live"]["warm_ms"],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    server = os.environ.get("COLLECTOR_DATABASE_URL") or SERVICE
    result: dict[str, Any] = {"hits_per_day": args.hits_per_day, "days": args.days,
                              "history_days": args.history_days}  # fmt: skip
    now = datetime.now(UTC)
    result["ingest"] = await ingest_cost(server, args.ingest_hits, now)
    if args.beside_seconds > 0:
        result["ingest_beside_rollup"] = await ingest_beside_rollup(
            server, args.hits_per_day, args.beside_seconds, 2, now
        )
    async with database(server, keep=args.keep) as dsn:
        pool = await create_pool(dsn, max_size=3)
        site = await new_site(pool, now - timedelta(days=args.days), 24 * args.days + 48)
        first = now - timedelta(days=args.days) + timedelta(hours=2)  # inside the guard
        result["fill"] = await fill(pool, site, first, now, args.hits_per_day, rng, rollup=True)
        t0 = time.perf_counter()
        async with pool.acquire() as conn:  # the writer is closed: nothing is in flight
            until = await conn.fetchval("SELECT clock_timestamp()")
            done = await roll_up(conn, now, 7, arrived_until=until)
        result["fill"]["rollup_tail_s"] = round(time.perf_counter() - t0, 2)
        result["fill"]["rollup_tail_sessions"] = done.sessions
        local_first = first.astimezone(zoneinfo.ZoneInfo(ZONE)).date()
        t0 = time.perf_counter()
        result["history_rows"] = await write_history(
            pool, site.site_id, local_first - timedelta(days=args.history_days),
            local_first - timedelta(days=1), args.hits_per_day,
        )  # fmt: skip
        result["history_s"] = round(time.perf_counter() - t0, 1)
        async with pool.acquire() as conn:
            result["database_mb"] = round(
                await conn.fetchval("SELECT pg_database_size(current_database())") / 2**20
            )
            await conn.execute("VACUUM ANALYZE")
        await pool.close()
        if args.restart_cmd:
            await asyncio.to_thread(subprocess.run, args.restart_cmd, shell=True, check=True)
        today = now.astimezone(zoneinfo.ZoneInfo(ZONE)).date()
        with serve(dsn) as base:
            result.update(await measure(base, site.site_id, today, args.runs))
        if args.against:  # A/B on the same data: the other checkout, then this one again
            for label, checkout in (("against", Path(args.against)), ("again", ROOT)):
                with serve(dsn, checkout) as base:
                    result[label] = await measure(base, site.site_id, today, args.runs, True)
    result["summary"] = summarise(result)
    return result


def dashboards(result: dict[str, Any]) -> dict[str, float]:
    """The 7-day dashboards' warm medians of one pass (A/B: --against)."""
    return {k: v["warm_ms"] for k, v in result["reports"].items() if k.endswith("/7")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hits-per-day", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--history-days", type=int, default=730)
    ap.add_argument("--runs", type=int, default=5, help="warm runs; the median is reported")
    ap.add_argument("--ingest-hits", type=int, default=300_000, help="for the roll-up's cost")
    ap.add_argument(
        "--beside-seconds", type=float, default=45, help="ingest with and without the roll-up"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--restart-cmd", help="restarts PostgreSQL before the cold requests")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--against", help="another checkout: its dashboards on the same data (A/B)")
    args = ap.parse_args()
    result = asyncio.run(run(args))
    for key, value in result["summary"].items():
        print(f"{key:28s} {value}")
    if args.against:
        a, b = dashboards(result["against"]), dashboards(result["again"])
        for key in a:
            print(f"{key:28s} against {a[key]:8.1f} ms  this (again) {b[key]:8.1f} ms")
    print(f"{'ingest':28s} {result['ingest']}")
    print(f"{'fill':28s} {result['fill']}")
    if "ingest_beside_rollup" in result:
        print(f"{'ingest_beside_rollup':28s} {result['ingest_beside_rollup']}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()

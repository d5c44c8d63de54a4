#!/usr/bin/env python3
"""Web-server usage data: the import rate and the syslog intake, against baselines in one run.

Import: a generated combined-format log (default 1,000,000 lines over the last two days,
varied addresses, paths, referrers, statuses and user agents) imported with
`collector usage import`, pinned to one CPU (lines/s as the command reports it, and the
command's wall time: start-up, import, and the roll-up of the new rows, which runs in
PostgreSQL), then once more by the same importer in this process, timed alone:
lines per second of wall time and per second of its own CPU time, and CPU µs per line
(what "on one core" means on a machine that other work shares).
Baselines, same rows, same run: reading and splitting the file's lines in Python (the floor
of any Python importer), and PostgreSQL's own `COPY … FROM STDIN` of the rows the import
stored (the database's share). `--profile` prints where the importer's time goes.

Syslog: `collector serve` with COLLECTOR_USAGE_LOG_LISTEN, pinned to one CPU; a sender
process on the other sends combined lines at a fixed offered rate (default 20,000 lines/s)
for `--seconds`, over TCP (one connection, LF-framed), then over UDP. Counted afterwards:
lines sent, rows stored (a count of the table), lost = sent - stored; for UDP also what the
collector dropped with its queue full, and what the kernel dropped (socket buffer full).

    python bench/usage.py [--lines 1000000] [--seconds 10] [--rate 20000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import AGENTS, PAGES, free_port, wait_ready  # noqa: E402

from collector.storage.embedded import EmbeddedPostgres  # noqa: E402

DOMAIN = "usage-bench.example"
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
]
STATUSES = [200] * 14 + [304, 304, 301, 404, 404, 500]
REFERRERS = ["-", "-", "https://www.google.de/", f"https://{DOMAIN}/", "https://t.co/x"]


def generate(path: Path, lines: int, seed: int = 20) -> None:
    """`lines` combined-format lines, in time order, over the two days up to now."""
    rnd = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=2)
    step = timedelta(days=2) / max(lines, 1)
    paths = [*PAGES, *(f"/seite/{i}" for i in range(2000)), "/files/plan.pdf", "/wp-login.php"]
    agents = AGENTS + BOTS
    with path.open("w") as out:
        for i in range(lines):
            ts = (start + i * step).strftime("%d/%b/%Y:%H:%M:%S +0000")
            if rnd.random() < 0.2:
                address = f"2001:db8:{rnd.randrange(65536):x}::{rnd.randrange(1, 65536):x}"
            else:
                address = f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.1"
            page = rnd.choice(paths) + ("?q=x" if rnd.random() < 0.1 else "")
            out.write(
                f'{address} - - [{ts}] "GET {page} HTTP/1.1" {rnd.choice(STATUSES)} '
                f'{rnd.randrange(100, 200_000)} "{rnd.choice(REFERRERS)}" "{rnd.choice(agents)}"\n'
            )


async def add_site(dsn: str) -> int:
    from collector.sites import add_site as add
    from collector.storage.db import migrate

    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        return await add(conn, f"usage bench {uuid.uuid4().hex[:6]}", [DOMAIN])
    finally:
        await conn.close()


async def count(dsn: str, site_id: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        n = await conn.fetchval("SELECT count(*) FROM usage_requests WHERE site_id = $1", site_id)
        return int(n)
    finally:
        await conn.close()


def pinned(cpu: str | None, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if cpu is not None else cmd


# -- import -----------------------------------------------------------------------------------


def read_floor(path: Path) -> float:
    """Seconds to read and split the file as the importer does, nothing else."""
    from collector.usage.importer import read_lines

    started = time.perf_counter()
    with path.open("rb") as stream:
        for _ in read_lines(stream, lambda: None):
            pass
    return time.perf_counter() - started


async def copy_baseline(dsn: str, site_id: int) -> tuple[int, float]:
    """PostgreSQL's own COPY FROM STDIN of the rows the import stored (same table, hours
    already partitioned), in one transaction that is rolled back."""
    conn = await asyncpg.connect(dsn)
    try:
        out = io.BytesIO()
        await conn.copy_from_query(
            "SELECT site_id, ts, ip_prefix, path, status, bytes, referrer, browser, os, bot "
            "FROM usage_requests WHERE site_id = $1",
            site_id,
            output=out,
        )
        rows = out.getvalue().count(b"\n")
        out.seek(0)
        async with conn.transaction():
            started = time.perf_counter()
            await conn.copy_to_table(
                "usage_requests",
                source=out,
                columns=["site_id", "ts", "ip_prefix", "path", "status", "bytes", "referrer",
                         "browser", "os", "bot"],
            )  # fmt: skip
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        return rows, seconds
    finally:
        await conn.close()


class _Rollback(Exception):
    pass


def run_import(log: Path, dsn: str, site_id: int, cpu: str | None) -> dict[str, float]:
    env = {**os.environ, "COLLECTOR_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "collector", "usage", "import", str(log), "--site", str(site_id)]
    started = time.perf_counter()
    done = subprocess.run(pinned(cpu, cmd), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr[-2000:]}")
    summary = done.stdout.strip().splitlines()[0]
    # "…: N lines read, … (S s, R lines/s)": the importer's own time, without start-up
    own = float(summary.rsplit("(", 1)[1].split(" s")[0])
    return {"wall_s": wall, "import_s": own, "summary": summary}  # type: ignore[dict-item]


def import_in_process(log: Path, dsn: str, site_id: int, profile: bool) -> dict[str, object]:
    """The importer in this process (pinned to the first CPU, if pinning): wall and CPU time
    of `import_files` alone, without the command's start-up; under cProfile with `profile`."""
    from collector.config import Settings
    from collector.sites import list_sites
    from collector.usage.importer import Importer

    profiler = cProfile.Profile()
    times: dict[str, object] = {}

    async def go() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            site = next(s for s in await list_sites(conn) if s.site_id == site_id)
            importer = Importer(conn, Settings(), site, "combined", lambda: datetime.now(UTC))
            if profile:
                profiler.enable()
            wall, cpu = time.perf_counter(), time.process_time()
            await importer.import_files([str(log)])
            times["wall_s"] = time.perf_counter() - wall
            times["cpu_s"] = time.process_time() - cpu
            if profile:
                profiler.disable()
        finally:
            await conn.close()

    asyncio.run(go())
    if profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        times["profile"] = out.getvalue()
    return times


# -- syslog -----------------------------------------------------------------------------------


def send(kind: str, port: int, rate: int, seconds: float, lines: list[bytes]) -> dict[str, float]:
    """Offer `rate` lines/s for `seconds` (ticks of 10 ms); the lines actually sent."""
    per_tick = max(rate // 100, 1)
    total = int(rate * seconds)
    sent = 0
    started = time.perf_counter()
    if kind == "tcp":
        sock = socket.create_connection(("127.0.0.1", port))
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", port))
    with sock:
        tick = 0
        while sent < total:
            batch = [lines[(sent + i) % len(lines)] for i in range(min(per_tick, total - sent))]
            if kind == "tcp":
                sock.sendall(b"".join(line + b"\n" for line in batch))
            else:
                for line in batch:
                    sock.send(line)
            sent += len(batch)
            tick += 1
            pause = started + tick / 100 - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
    return {"sent": sent, "send_s": time.perf_counter() - started}


def metrics(port: int) -> dict[str, float]:
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        body = b""
        while chunk := s.recv(65536):
            body += chunk
    values: dict[str, float] = {}
    for line in body.decode().splitlines():
        if line.startswith("collector_usage") and " " in line:
            name, _, value = line.rpartition(" ")
            values[name.removeprefix("collector_")] = float(value)
    return values


def settle(port: int, want: int, seconds: float = 120) -> dict[str, float]:
    """Wait until the collector has stored or given up on `want` lines (or nothing moves)."""
    deadline = time.monotonic() + seconds
    last, still = -1.0, 0
    while time.monotonic() < deadline:
        m = metrics(port)
        done = m.get("usage_requests_stored", 0) + m.get(
            'usage_lines_dropped{reason="queue_full"}', 0
        )
        if done >= want:
            return m
        still = still + 1 if done == last else 0
        if still >= 20:  # two seconds without progress: the rest is lost
            return m
        last = done
        time.sleep(0.1)
    return metrics(port)


def run_syslog(dsn: str, args: argparse.Namespace, pin: bool) -> dict[str, object]:
    results: dict[str, object] = {}
    stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    rnd = random.Random(3)
    for kind in ("tcp", "udp"):
        site_id = asyncio.run(add_site(dsn))
        lines = [
            (
                f"<190>Nov 28 12:00:00 site{site_id}: {rnd.randrange(1, 224)}.{rnd.randrange(256)}"
                f'.{rnd.randrange(256)}.7 - - [{stamp}] "GET {rnd.choice(PAGES)} HTTP/1.1" 200 '
                f'{rnd.randrange(100, 9000)} "-" "{rnd.choice(AGENTS)}"'
            ).encode()
            for _ in range(5000)
        ]
        http, usage = free_port(), free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COLLECTOR_DATABASE_URL": dsn,
            "COLLECTOR_DATA_DIR": tempfile.mkdtemp(prefix="usage-bench-"),
            "COLLECTOR_USAGE_LOG_LISTEN": f"127.0.0.1:{usage}",
        }
        cmd = [sys.executable, "-m", "collector", "serve", "--port", str(http)]
        log = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen(pinned("0" if pin else None, cmd), env=env, stdout=log, stderr=log)
        try:
            wait_ready(http, proc)
            sender = [sys.executable, __file__, "--send", kind, str(usage), str(args.rate),
                      str(args.seconds)]  # fmt: skip
            sent_by = subprocess.run(
                pinned("1" if pin else None, sender),
                input=b"\n".join(lines),
                capture_output=True,
                check=False,
            )
            if sent_by.returncode != 0:
                raise SystemExit(f"sender failed: {sent_by.stderr.decode()[-2000:]}")
            offered = json.loads(sent_by.stdout)
            m = settle(http, offered["sent"])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        stored = asyncio.run(count(dsn, site_id))
        results[kind] = {
            "offered_rate": args.rate,
            "sent": offered["sent"],
            "achieved_rate": round(offered["sent"] / offered["send_s"]),
            "received": int(m.get("usage_lines_received", 0)),
            "stored": stored,
            "lost": offered["sent"] - stored,
            "dropped_queue_full": int(m.get('usage_lines_dropped{reason="queue_full"}', 0)),
            "kernel_drops": int(m.get("usage_udp_kernel_drops", 0)),
        }
    return results


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines of the generated log")
    ap.add_argument("--seconds", type=float, default=10, help="syslog: seconds of offered load")
    ap.add_argument("--rate", type=int, default=20_000, help="syslog: offered lines per second")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to CPUs")
    ap.add_argument("--profile", action="store_true", help="print the importer's profile")
    ap.add_argument("--no-syslog", action="store_true", help="the import only")
    ap.add_argument("--json", action="store_true", help="print one JSON line last")
    ap.add_argument("--send", nargs=4, help=argparse.SUPPRESS)  # the sender process
    args = ap.parse_args()
    if args.send:
        kind, port, rate, seconds = args.send
        lines = sys.stdin.buffer.read().split(b"\n")
        print(json.dumps(send(kind, int(port), int(rate), float(seconds), lines)))
        return
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None

    with ExitStack() as stack:
        dsn = os.environ.get("COLLECTOR_DATABASE_URL")
        if not dsn:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-"))
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            stack.callback(embedded.stop)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="usage-log-")))
        log = folder / "access.log"
        generate(log, args.lines)
        site_id = asyncio.run(add_site(dsn))
        floor_s = read_floor(log)
        imported = run_import(log, dsn, site_id, "0" if pin else None)
        stored = asyncio.run(count(dsn, site_id))
        copy_rows, copy_s = asyncio.run(copy_baseline(dsn, site_id))
        if pin:
            os.sched_setaffinity(0, {0})
        inside = import_in_process(log, dsn, asyncio.run(add_site(dsn)), profile=False)
        profile = None
        if args.profile:
            profile = import_in_process(log, dsn, asyncio.run(add_site(dsn)), profile=True)
        if pin:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        syslog = None if args.no_syslog else run_syslog(dsn, args, pin)

    lines = args.lines
    summary: dict[str, object] = {
        "lines": lines,
        "pinned": pin,
        "import_lines_per_s": round(lines / imported["import_s"]),
        "command_wall_s": round(imported["wall_s"], 2),
        "in_process_lines_per_s": round(lines / inside["wall_s"]),  # type: ignore[operator]
        "in_process_lines_per_cpu_s": round(lines / inside["cpu_s"]),  # type: ignore[operator]
        "cpu_us_per_line": round(inside["cpu_s"] / lines * 1e6, 2),  # type: ignore[operator]
        "stored": stored,
        "read_floor_lines_per_s": round(lines / floor_s),
        "copy_rows_per_s": round(copy_rows / copy_s),
        "import_vs_copy": round((lines / imported["import_s"]) / (copy_rows / copy_s), 3),
        "import_summary": imported["summary"],
        "syslog": syslog,
    }
    for key, value in summary.items():
        print(f"{key:28} {value}")
    if profile:
        print(profile["profile"])
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Pixel throughput of the full collector against a bare aiohttp baseline, in one run.

Both servers get the same load from the same generator (wrk with a Lua script of varied,
consented hits when wrk is installed, else an asyncio client in a separate process), one after
the other, on the same machine. Reported: requests/s of each (for the collector, answered 2xx:
a 503 "queue full" is not a served hit) and their ratio, p50/p99 latency, server CPU time per
hit answered 2xx, peak RSS, and lost = hits answered 2xx minus rows stored after a
graceful shutdown. `--durability fsync` measures the collector with COLLECTOR_DURABILITY=fsync
(each hit answered once it is in the journal on disk); `both` measures the default, then fsync,
and reports fsync's figures next to it (fsync_*). Usage:

    python bench/throughput.py --seconds 10 [--workers 1] [--connections 32] [--json]
    python bench/throughput.py --seconds 5 --durability both
                               [--profile FILE.json]

--profile records the collector (all its workers) with py-spy while the load runs, as a
speedscope file, and prints where its time went (bench/profile_summary.py). py-spy comes
from PATH or $PY_SPY; it is not a dependency (e.g. a separate venv: pip install py-spy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from pathlib import Path
from urllib.parse import quote, urlencode

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector import hit_path_compiled  # noqa: E402
from collector.storage.embedded import EmbeddedPostgres  # noqa: E402

DOMAIN = "bench.example"
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
]
REFERRERS = [
    "",
    "https://www.google.de/",
    "https://duckduckgo.com/",
    "https://t.co/x",
    "https://news.example.net/article/42",
    f"https://{DOMAIN}/",
]
PAGES = [
    "/",
    "/rathaus",
    "/buergerservice/termine",
    "/kultur/veranstaltungen",
    "/stadtplan",
    "/aktuelles/pressemitteilungen",
    "/bauen/bebauungsplaene",
    "/kontakt",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_requests(site_id: int, n: int, seed: int = 7) -> list[tuple[str, dict[str, str]]]:
    """n varied, consented hits: pages, titles, campaigns, referrers, agents, sessions."""
    rnd = random.Random(seed)
    sessions = [uuid.UUID(int=rnd.getrandbits(128)).hex for _ in range(n // 5 + 1)]
    out = []
    for i in range(n):
        page = rnd.choice(PAGES) + (
            f"?utm_campaign=news{i % 7}&utm_source=mail"
            if i % 9 == 0
            else f"?id={rnd.randint(1, 500)}"
            if i % 4 == 0
            else ""
        )
        params = {
            "idsite": site_id,
            "rec": 1,
            "url": f"https://www.{DOMAIN}{page}",
            "action_name": f"Seite {rnd.randint(1, 300)}",
            "res": "1920x1080",
            "pv_id": f"{rnd.getrandbits(24):06x}",
            "_id": f"{rnd.getrandbits(64):016x}",
        }
        if ref := rnd.choice(REFERRERS):
            params["urlref"] = ref
        cookie = f"collector_consent=1; collector_session={rnd.choice(sessions)}"
        headers = {
            "Host": "127.0.0.1",
            "Cookie": cookie,
            "User-Agent": rnd.choice(AGENTS),
            "Accept-Language": "de-DE,de;q=0.9,en;q=0.8",
        }
        out.append(("/matomo.php?" + urlencode(params, quote_via=quote), headers))
    return out


def lua_script(reqs: list[tuple[str, dict[str, str]]], path: Path, bulk: int = 0) -> None:
    """wrk's script: pre-built pixel GETs, or bulk POSTs of `bulk` hits each."""

    def lua(s: str) -> str:
        return json.dumps(s)  # ASCII JSON string literals are valid Lua string literals

    lines = ["local reqs = {}"]
    if bulk:
        for i in range(0, len(reqs) - bulk + 1, bulk):
            chunk = reqs[i : i + bulk]
            body = json.dumps({"requests": [p.removeprefix("/matomo.php") for p, _ in chunk]})
            h = {**chunk[0][1], "Content-Type": "application/json"}
            hdrs = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in h.items())
            lines.append(
                f'reqs[{i // bulk + 1}] = wrk.format("POST", "/matomo.php", '
                f"{{{hdrs}}}, {lua(body)})"
            )
    for i, (p, h) in enumerate([] if bulk else reqs, 1):
        hdrs = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in h.items())
        lines.append(f'reqs[{i}] = wrk.format("GET", {lua(p)}, {{{hdrs}}})')
    lines.append("""
local n = 0
request = function()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %d, "non2xx": %d, "socket_errors": %d,'
    .. ' "duration_us": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end""")
    path.write_text("\n".join(lines))


def run_wrk(port: int, script: Path, seconds: int, connections: int, cpu: str | None) -> dict:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/matomo.php",
    ]
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK "))
    return json.loads(line[4:])


def run_asyncio_client(port: int, reqs: list, seconds: int, connections: int) -> dict:
    """Fallback load generator without wrk: bench/load_client.py in its own process."""
    spec = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(reqs, spec)
    spec.close()
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load_client.py"),
            str(port),
            spec.name,
            str(seconds),
            str(connections),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(spec.name)
    return json.loads(out.strip().splitlines()[-1])


def wait_ready(port: int, proc: subprocess.Popen, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                if b" 200 " in s.recv(100):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not become ready")


def tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree_peak_rss_mb(proc: psutil.Process) -> float:
    peak = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            status = Path(f"/proc/{p.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def py_spy() -> str:
    found = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy on PATH or in $PY_SPY (pip install py-spy)")
    return found


def start_profile(pid: int, out: Path, cpu: str | None) -> subprocess.Popen:
    """py-spy sampling `pid` and its worker processes, on the load generator's CPU."""
    cmd = [py_spy(), "record", "-f", "speedscope", "-o", str(out), "--pid", str(pid)]
    cmd += ["--subprocesses", "--rate", "200"]  # blocking: whole stacks, at some cost
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop_profile(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    _, err = spy.communicate(timeout=60)
    if spy.returncode not in (0, -signal.SIGINT):
        print(f"py-spy: {err.strip()[-500:]}", file=sys.stderr)


def measure(
    cmd: list[str],
    env: dict,
    port: int,
    load,
    cpu: str | None,
    profile: Path | None = None,
    spy_cpu: str | None = None,
    warmup=None,
) -> dict:
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would stall the server
    # cwd: `python -m` puts the working directory first on sys.path, before PYTHONPATH; the
    # servers must import this checkout's collector, whatever directory the bench runs from.
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True
    )
    try:
        wait_ready(port, proc)
        if warmup is not None:  # start-up's jobs and first sights (agents, models) done
            warmup(port)
        ps = psutil.Process(proc.pid)
        spy = start_profile(proc.pid, profile, spy_cpu) if profile else None
        cpu_before = tree_cpu(ps)
        result = load(port)
        result["cpu_s"] = tree_cpu(ps) - cpu_before
        if spy is not None:
            stop_profile(spy)
        result["peak_rss_mb"] = tree_peak_rss_mb(ps)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    if proc.returncode != 0:
        log.seek(0)
        raise SystemExit(f"server exited with {proc.returncode}: {log.read()[-2000:]}")
    return result


async def prepare_site(dsn: str) -> int:
    from collector.sites import add_site
    from collector.storage.db import migrate

    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        return await add_site(conn, f"bench {uuid.uuid4().hex[:6]}", [DOMAIN])
    finally:
        await conn.close()


async def stored_rows(dsn: str, site_id: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM hits WHERE site_id=$1", site_id))
    finally:
        await conn.close()


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=0, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--requests", type=int, default=5000, help="distinct hits in the load")
    ap.add_argument("--no-pin", action="store_true", help="do not pin server and load to CPUs")
    ap.add_argument("--server-cpus", help="taskset list for the servers (default 0; 0,1 for 2+)")
    ap.add_argument("--load-cpus", help="taskset list for the load generator (default 1)")
    ap.add_argument("--bulk", type=int, default=0, help="bulk POSTs of N hits (no baseline)")
    ap.add_argument("--generator", choices=["wrk", "asyncio"], help="default: wrk if installed")
    ap.add_argument(
        "--durability", choices=["batch", "fsync", "both"], default="batch",
        help="COLLECTOR_DURABILITY of the collector; both: batch, then fsync next to it",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print one JSON line last")
    ap.add_argument("--profile", type=Path, help="py-spy speedscope file of the collector")
    return ap.parse_args()


def run_servers(
    args: argparse.Namespace, server_cpu: str | None, load_cpu: str | None, generator: str
) -> tuple[dict | None, dict[str, tuple[dict, int]]]:
    """The baseline's run (none for bulk), then the collector's in each durability mode
    asked for: its figures and the rows it stored."""
    with ExitStack() as stack:
        dsn = os.environ.get("COLLECTOR_DATABASE_URL")
        if not dsn:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-"))
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            stack.callback(embedded.stop)
        site_id = asyncio.run(prepare_site(dsn))
        reqs = make_requests(site_id, args.requests)
        if generator == "wrk":
            script = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "hits.lua"
            lua_script(reqs, script, args.bulk)

            def load(port: int, seconds: int = args.seconds) -> dict:
                return run_wrk(port, script, seconds, args.connections, load_cpu)
        else:

            def load(port: int, seconds: int = args.seconds) -> dict:
                return run_asyncio_client(port, reqs, seconds, args.connections)

        warmup = (lambda port: load(port, args.warmup)) if args.warmup else None

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        port = free_port()
        baseline_cmd = [sys.executable, str(ROOT / "bench" / "baseline_server.py"), str(port)]
        # Bulk has no bare-aiohttp counterpart worth comparing: hits per second is the figure.
        base = (
            None if args.bulk else measure(baseline_cmd, env, port, load, server_cpu, warmup=warmup)
        )
        modes = ["batch", "fsync"] if args.durability == "both" else [args.durability]
        runs: dict[str, tuple[dict, int]] = {}
        for mode in modes:
            port = free_port()
            env_c = {
                **env,
                "COLLECTOR_DATABASE_URL": dsn,
                "COLLECTOR_DATA_DIR": tempfile.mkdtemp(),
                "COLLECTOR_DURABILITY": mode,
            }
            before = asyncio.run(stored_rows(dsn, site_id))
            cmd = [sys.executable, "-m", "collector", "serve", "--port", str(port)]
            profile = args.profile if mode == modes[0] else None
            result = measure(
                [*cmd, "--workers", str(args.workers)],
                env_c, port, load, server_cpu, profile, load_cpu, warmup,
            )  # fmt: skip
            runs[mode] = result, asyncio.run(stored_rows(dsn, site_id)) - before
    return base, runs


def main() -> None:
    args = arguments()
    if args.profile:
        py_spy()  # missing: say so before minutes of set-up

    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset")
    server_cpu = (args.server_cpus or ("0" if args.workers == 1 else "0,1")) if pin else None
    load_cpu = (args.load_cpus or "1") if pin else None
    generator = args.generator or ("wrk" if shutil.which("wrk") else "asyncio")

    base, runs = run_servers(args, server_cpu, load_cpu, generator)
    modes = list(runs)
    full, stored = runs[modes[0]]

    def rps(r: dict) -> float:
        return r["requests"] / (r["duration_us"] / 1e6)

    def ok_per_s(r: dict) -> float:  # a 503 ("queue full") is not a served hit
        return (r["requests"] - r["non2xx"]) / (r["duration_us"] / 1e6)

    per = max(args.bulk, 1)
    ok = (full["requests"] - full["non2xx"]) * per
    summary: dict[str, object] = {
        "generator": generator,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "connections": args.connections,
        "workers": args.workers,
        "bulk": args.bulk,
        "durability": modes[0],
        "pinned": bool(pin),
        "server_cpus": server_cpu,
        "load_cpus": load_cpu,
        "compiled": hit_path_compiled(),  # the server imports the same modules as this script
        "collector_rps": round(ok_per_s(full), 1),
        "hits_per_s": round(ok_per_s(full) * per, 1),
    }
    if base is not None:
        summary["baseline_rps"] = round(rps(base), 1)
        summary["ratio"] = round(ok_per_s(full) / rps(base), 3)
        summary["baseline_p99_ms"] = round(base["p99_us"] / 1000, 2)
        summary["baseline_cpu_us_per_hit"] = round(base["cpu_s"] / base["requests"] * 1e6, 1)
    summary |= {
        "p50_ms": round(full["p50_us"] / 1000, 2),
        "p99_ms": round(full["p99_us"] / 1000, 2),
        "cpu_us_per_hit": round(full["cpu_s"] / max(ok, 1) * 1e6, 1),  # per hit answered 2xx
        "peak_rss_mb": round(full["peak_rss_mb"], 1),
        "non2xx": full["non2xx"],
        "answered_2xx": ok,
        "stored": stored,
        # wrk stops counting with requests still in flight; those may be stored too, so
        # stored >= answered_2xx is the healthy outcome and lost counts only the shortfall.
        "lost": max(0, ok - stored),
    }
    if len(modes) > 1:
        summary |= fsync_figures(*runs["fsync"], per)
    width = max(map(len, summary))
    for key, value in summary.items():
        print(f"{key.ljust(width)}  {value}")
    if args.profile:
        from profile_summary import summarise

        print(f"\nprofile: {args.profile} (speedscope)")
        print(summarise(args.profile))
    if args.json:
        print(json.dumps(summary))


def fsync_figures(fsync: dict, stored: int, per: int) -> dict[str, object]:
    """COLLECTOR_DURABILITY=fsync's run, reported next to the default's."""
    ok = (fsync["requests"] - fsync["non2xx"]) * per
    seconds = fsync["duration_us"] / 1e6
    return {
        "fsync_rps": round((fsync["requests"] - fsync["non2xx"]) / seconds, 1),
        "fsync_p50_ms": round(fsync["p50_us"] / 1000, 2),
        "fsync_p99_ms": round(fsync["p99_us"] / 1000, 2),
        "fsync_cpu_us_per_hit": round(fsync["cpu_s"] / max(ok, 1) * 1e6, 1),
        "fsync_answered_2xx": ok,
        "fsync_lost": max(0, ok - stored),
    }


if __name__ == "__main__":
    main()

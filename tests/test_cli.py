"""The `collector` command as a user runs it: real processes, real database, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psutil
import pytest

from collector.cli import browser_base
from tests.support import CONSENT, free_port, request


def collector(*args: str, env: dict[str, str], timeout: float = 60) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "collector", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
        "COLLECTOR_API_TOKEN": "cli-token",
    }


def test_site_add_prints_the_id_and_site_list_shows_it(env: dict[str, str]) -> None:
    site_id = int(
        collector(
            "site",
            "add",
            "--name",
            "City",
            "--domain",
            "https://WWW.City.example/",
            "--domain",
            "city.example",
            env=env,
        )
    )
    listing = collector("site", "list", env=env)
    assert f"{site_id}\tCity\tcity.example,www.city.example\tUTC" in listing.splitlines()


def test_migrate_is_idempotent(env: dict[str, str]) -> None:
    collector("migrate", env=env)
    assert collector("migrate", env=env).strip() == "nothing to apply"


def test_report_list_names_summary(env: dict[str, str]) -> None:
    assert "summary" in collector("report", "--list", env=env).split()


def _start(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "collector", "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(port: int, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            status, _, _ = asyncio.run(request("GET", f"http://127.0.0.1:{port}/healthz"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def _hit(port: int, site_id: int, domain: str, i: int) -> int:
    url = (
        f"http://127.0.0.1:{port}/matomo.php?idsite={site_id}&rec=1"
        f"&url=https://{domain}/p{i}&action_name=t{i}"
    )
    status, _, _ = asyncio.run(
        request("GET", url, cookies=CONSENT, headers={"X-Forwarded-For": "198.51.100.200"})
    )
    return status


def _count(dsn: str, site_id: int) -> int:
    async def go() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            n: int = await conn.fetchval("SELECT count(*) FROM hits WHERE site_id=$1", site_id)
            return n
        finally:
            await conn.close()

    return asyncio.run(go())


def _wait_settled(dsn: str) -> None:
    """Until every hit's arrival is more than a second in the past by the database's clock:
    the roll-up reads up to there (sql/retention/arrived_until.sql)."""

    async def go() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            while await conn.fetchval(  # noqa: ASYNC110 - a condition in the database
                "SELECT max(arrival) > clock_timestamp() - interval '1 second' FROM hits"
            ):
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    asyncio.run(go())


def test_sigterm_flushes_every_accepted_hit_and_report_counts_them(env: dict[str, str]) -> None:
    # The writer would wait a minute: only the SIGTERM path can have written these hits.
    env = {
        **env,
        "COLLECTOR_FLUSH_INTERVAL_MS": "60000",
        "COLLECTOR_BATCH_SIZE": "100000",
        "COLLECTOR_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    site_id = int(collector("site", "add", "--name", "S", "--domain", "sig.example", env=env))
    port = free_port()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        statuses = [_hit(port, site_id, "sig.example", i) for i in range(50)]
    finally:
        out = _stop(proc)
    assert statuses == [200] * 50
    assert _count(env["COLLECTOR_DATABASE_URL"], site_id) == 50
    assert "198.51.100.200" not in out  # nothing printed the client's address
    _wait_settled(env["COLLECTOR_DATABASE_URL"])  # `report` rolls up what arrived a second ago
    rows: Any = orjson.loads(
        collector("report", "summary", "--site", str(site_id), "--format", "json", env=env)
    )
    [row] = rows  # no cookie jar: each hit a new session
    assert (row["visits"], row["pageviews"]) == (50, 50)
    csv_out = collector("report", "summary", "--site", str(site_id), "--format", "csv", env=env)
    header, values = csv_out.splitlines()
    assert header.startswith("visits,pageviews,") and values.startswith("50,50,")
    table = collector("report", "summary", "--site", str(site_id), env=env)
    assert table.splitlines()[0].split()[:2] == ["visits", "pageviews"]


def test_serve_without_database_url_runs_on_the_embedded_postgresql() -> None:
    # Not pytest's tmp_path: concurrent pytest sessions on one machine prune each other's
    # numbered base folders, pulling the data directory from under a running initdb.
    with tempfile.TemporaryDirectory(prefix="collector-serve-") as tmp:
        _serve_embedded(Path(tmp))


def _serve_embedded(tmp_path: Path) -> None:
    env = _embedded_env(tmp_path / "data")
    port = free_port()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        assert _hit(port, 1, "localhost", 0) == 200
    finally:
        out = _stop(proc)
    assert f"http://127.0.0.1:{port}" in out
    assert 'data-site="1"' in out  # the demo site and its snippet
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()
    assert "postmaster.pid" not in os.listdir(tmp_path / "data" / "postgres")  # stopped on exit


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("127.0.0.1", "http://localhost:8000"),
        ("127.8.9.10", "http://localhost:8000"),
        ("::1", "http://localhost:8000"),
        ("0.0.0.0", "http://localhost:8000"),
        ("::", "http://localhost:8000"),
        ("localhost", "http://localhost:8000"),
        ("192.0.2.10", "http://192.0.2.10:8000"),
        ("2001:db8::1", "http://[2001:db8::1]:8000"),
        ("stats.example.org", "http://stats.example.org:8000"),
    ],
)
def test_the_snippet_names_a_loopback_or_wildcard_collector_localhost(host: str, base: str) -> None:
    # a page on localhost and a collector on 127.0.0.1 are two sites to a browser
    assert browser_base(host, 8000) == base


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_busy_port_says_so_in_one_line_and_prints_nothing_else(
    env: dict[str, str], workers: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "collector", "serve", "--port", str(port), "--workers", workers],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0
    assert done.stdout == ""  # no banner, no snippet
    [line] = done.stderr.splitlines()
    assert str(port) in line and "in use" in line and "--port" in line


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COLLECTOR_DATABASE_URL"}
    return {**env, "COLLECTOR_DATA_DIR": str(data_dir)}


def test_commands_on_the_embedded_database_are_quiet_alone_and_when_joining_serve() -> None:
    with tempfile.TemporaryDirectory(prefix="collector-quiet-") as tmp:
        env = _embedded_env(Path(tmp) / "data")
        run = [sys.executable, "-m", "collector", "site", "list"]
        # starts the embedded server, applies the migrations, stops it
        alone = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        port = free_port()
        proc = _start(env, port)
        try:
            _wait_healthy(port, proc)
            joined = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        finally:
            _stop(proc)
    assert (alone.returncode, alone.stderr) == (0, "")
    assert (joined.returncode, joined.stderr) == (0, "")
    assert joined.stdout.startswith("1\tDemo\t")  # it did reach serve's database


def test_two_workers_share_the_port_and_sigterm_flushes_both(env: dict[str, str]) -> None:
    env = {**env, "COLLECTOR_FLUSH_INTERVAL_MS": "60000", "COLLECTOR_BATCH_SIZE": "100000"}
    site_id = int(collector("site", "add", "--name", "W", "--domain", "workers.example", env=env))
    port = free_port()
    proc = _start(env, port, "--workers", "2")
    try:
        _wait_healthy(port, proc)
        workers = [
            c for c in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(c.cmdline())
        ]
        statuses = [_hit(port, site_id, "workers.example", i) for i in range(40)]
    finally:
        _stop(proc)
    assert len(workers) == 2
    assert statuses == [200] * 40
    assert _count(env["COLLECTOR_DATABASE_URL"], site_id) == 40

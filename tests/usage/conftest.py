from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from collector.appkeys import USAGE_LISTENER
from collector.usage.listener import UsageListener
from tests.support import Running, database_beside, running_app, settings_for

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"


def access_line(
    address: str = "203.0.113.57",
    path: str = "/",
    status: int = 200,
    *,
    when: datetime | None = None,
    host: str | None = None,
    agent: str = FIREFOX,
    referrer: str = "-",
    size: int = 512,
) -> str:
    """One combined-format line (vhost_combined with `host`), time now unless given."""
    stamp = (when or datetime.now(UTC)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    line = f'{address} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "{referrer}" "{agent}"'
    return f"{host}:443 {line}" if host else line


@pytest.fixture
async def usage_server(database_url: str) -> AsyncIterator[Running]:
    """The app with the syslog listener on a free port and a site of its own."""
    async with running_app(settings_for(database_url, usage_log_listen=("127.0.0.1", 0))) as srv:
        srv.domain = f"usage-{secrets.token_hex(4)}.example"
        srv.site_id = await srv.add_site("Usage", srv.domain)
        yield srv


def listener(srv: Running) -> UsageListener:
    found = srv.app[USAGE_LISTENER]
    assert found is not None
    return found


async def usage_rows(srv: Running) -> list:
    return await srv.rows(
        "SELECT * FROM usage_requests WHERE site_id = $1 ORDER BY path", srv.site_id
    )


async def stored(srv: Running, n: int) -> None:
    """Return once `n` usage rows of any site have been written by the app's writer."""
    writer = listener(srv).writer
    metrics = listener(srv).metrics
    while metrics.value("usage_requests_stored") < n:
        await writer.flush()


@pytest.fixture
async def own_url(database_url: str) -> AsyncIterator[str]:
    """A database of the test's own, for tests whose clock is not today's."""
    async with database_beside(database_url) as url:
        yield url


async def usage_dump(srv: Running) -> str:
    """Every row of every usage table, as text (other tests' hits keep their query strings)."""
    async with srv.pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name LIKE 'usage\\_%'"
        )
        rows = [
            r["row"]
            for t in tables
            for r in await conn.fetch(f'SELECT t::text AS row FROM "{t["table_name"]}" t')
        ]
    return "\n".join(rows)

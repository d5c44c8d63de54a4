"""Sites: which ids exist and which domains each may be tracked on.

The hit path never waits on the database, so running collectors hold all sites in memory
(`SiteRegistry`) and reload them on a NOTIFY from `add_site` and on a timer as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence

import asyncpg

from collector.tracking.params import Site

log = logging.getLogger(__name__)

CHANNEL = "collector_sites"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(raw: str) -> str:
    """A bare host name in lower case ('https://www.Example.org/' -> 'www.example.org')."""
    host = raw.strip().lower()
    host = re.sub(r"^[a-z]+://", "", host).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a domain name: {raw!r}") from None
    if host != "localhost" and not all(_LABEL.match(p) for p in host.split(".")):
        raise ValueError(f"not a domain name: {raw!r}")
    return host


async def add_site(conn: asyncpg.Connection, name: str, domains: Sequence[str]) -> int:
    clean = sorted({normalise_domain(d) for d in domains})
    if not clean:
        raise ValueError("a site needs at least one --domain")
    site_id: int = await conn.fetchval(
        "INSERT INTO sites (name, domains) VALUES ($1, $2) RETURNING site_id", name, clean
    )
    await conn.execute(f"NOTIFY {CHANNEL}")
    return site_id


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    rows = await conn.fetch("SELECT site_id, name, domains FROM sites ORDER BY site_id")
    return [Site(r["site_id"], r["name"], tuple(r["domains"])) for r in rows]


class SiteRegistry:
    """All sites in memory for the hit path; `get` is a dict lookup."""

    def __init__(self, pool: asyncpg.Pool, refresh_seconds: float = 60.0) -> None:
        self._pool = pool
        self._refresh = refresh_seconds
        self._sites: dict[int, Site] = {}
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    def get(self, site_id: int) -> Site | None:
        return self._sites.get(site_id)

    def owns_host(self, host: str) -> bool:
        """True when some site may be tracked on `host` (CORS for the tracking endpoint)."""
        host = host.lower().rstrip(".")
        return any(site.owns(host) for site in self._sites.values())

    def all(self) -> list[Site]:
        return list(self._sites.values())

    async def load(self) -> None:
        async with self._pool.acquire() as conn:
            self._sites = {s.site_id: s for s in await list_sites(conn)}

    async def start(self) -> None:
        await self.load()
        self._listener = await self._pool.acquire()
        await self._listener.add_listener(CHANNEL, self._on_notify)
        self._task = asyncio.create_task(self._poll(), name="site-refresh")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(CHANNEL, self._on_notify)
            await self._pool.release(self._listener)

    def _on_notify(self, *_: object) -> None:
        asyncio.get_running_loop().create_task(self._reload_quietly())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._refresh)
            await self._reload_quietly()

    async def _reload_quietly(self) -> None:
        try:
            await self.load()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("sites=reload_failed error=%s", type(exc).__name__)

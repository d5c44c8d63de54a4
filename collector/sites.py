"""Sites: which ids exist, which domains each may be tracked on, its time zone, and its goals
and custom dimensions (collector/goals.py).

The hit path never waits on the database, so running collectors hold all sites in memory
(`SiteRegistry`) and reload them on a NOTIFY from `add_site` / `set_site` (and every change of
a goal or dimension) and on a timer as a fallback. A site's zone has a history
(`site_zones`): a visit is cut into days and hours in the zone the site had when the visit
started, so changing it takes effect from then on and days already counted keep their cut
(docs/aggregates.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import zoneinfo
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from collector.tracking.params import Site

log = logging.getLogger(__name__)

CHANNEL = "collector_sites"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CURRENT_ZONE = (
    "(SELECT z.timezone FROM site_zones z WHERE z.site_id = s.site_id AND z.until = 'infinity')"
)


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


def check_timezone(name: str) -> str:
    """`name` when it is an IANA time zone ("Europe/Berlin", "UTC"), else ValueError."""
    name = name.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone: {name!r} (e.g. Europe/Berlin)") from None
    return name


async def _known_to_database(conn: asyncpg.Connection, timezone: str) -> None:
    # The roll-up cuts days in SQL: the server's own zone database must know the name too.
    if not await conn.fetchval(
        "SELECT EXISTS (SELECT FROM pg_timezone_names WHERE name = $1)", timezone
    ):
        raise ValueError(f"PostgreSQL does not know the time zone {timezone!r}")


def _clean_domains(domains: Sequence[str]) -> list[str]:
    clean = sorted({normalise_domain(d) for d in domains})
    if not clean:
        raise ValueError("a site needs at least one --domain")
    return clean


async def add_site(
    conn: asyncpg.Connection, name: str, domains: Sequence[str], timezone: str = "UTC"
) -> int:
    clean = _clean_domains(domains)
    timezone = check_timezone(timezone)
    await _known_to_database(conn, timezone)
    async with conn.transaction():
        site_id: int = await conn.fetchval(
            "INSERT INTO sites (name, domains) VALUES ($1, $2) RETURNING site_id", name, clean
        )
        await conn.execute(
            "INSERT INTO site_zones (site_id, since, timezone) VALUES ($1, '-infinity', $2)",
            site_id,
            timezone,
        )
        await conn.execute(f"NOTIFY {CHANNEL}")
    return site_id


async def set_site(
    conn: asyncpg.Connection,
    site_id: int,
    *,
    name: str | None = None,
    domains: Sequence[str] | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> Site:
    """Change a site; a new zone applies to visits that start from `now` on (default: the
    database's now)."""
    async with conn.transaction():
        if not await conn.fetchval("SELECT EXISTS (SELECT FROM sites WHERE site_id = $1)", site_id):
            raise ValueError(f"unknown site {site_id}; see: collector site list")
        if name is not None:
            await conn.execute("UPDATE sites SET name = $2 WHERE site_id = $1", site_id, name)
        if domains is not None:
            await conn.execute(
                "UPDATE sites SET domains = $2 WHERE site_id = $1", site_id, _clean_domains(domains)
            )
        if timezone is not None:
            timezone = check_timezone(timezone)
            await _known_to_database(conn, timezone)
            current = await conn.fetchval(
                "SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'",
                site_id,
            )
            if current != timezone:
                since = now or await conn.fetchval("SELECT now()")
                await conn.execute(
                    "UPDATE site_zones SET until = $2 WHERE site_id = $1 AND until = 'infinity'",
                    site_id,
                    since,
                )
                await conn.execute(
                    "INSERT INTO site_zones (site_id, since, timezone) VALUES ($1, $2, $3)",
                    site_id,
                    since,
                    timezone,
                )
        await conn.execute(f"NOTIFY {CHANNEL}")
    [site] = [s for s in await list_sites(conn) if s.site_id == site_id]
    return site


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    """Every site with its active goals and custom dimensions (what the hit path needs)."""
    from collector.goals import active_dimensions, active_goals  # goals.py NOTIFYs CHANNEL

    rows = await conn.fetch(
        f"SELECT site_id, name, domains, {_CURRENT_ZONE} AS timezone FROM sites s ORDER BY site_id"
    )
    goals = await active_goals(conn)
    dimensions = await active_dimensions(conn)
    return [
        Site(
            r["site_id"],
            r["name"],
            tuple(r["domains"]),
            r["timezone"],
            goals.get(r["site_id"], ()),
            dimensions.get(r["site_id"], ()),
        )
        for r in rows
    ]


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

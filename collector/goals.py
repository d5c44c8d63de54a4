"""Goals and custom dimensions: add, list, delete (`collector goal …`, `collector dimension …`,
`/api/goals`, `/api/dimensions`).

Definitions are per site. Every change NOTIFYs the site registry (collector/sites.py), which
reloads them into the hit path's memory: goals are matched on ingest, so a goal added later
applies from then on, and one deleted stops converting at once. Deleting keeps the row
(`deleted_at`): reports over earlier days still name it, and its id is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from collector.sites import CHANNEL
from collector.tracking.goals import MATCHES, Dimension, Goal, check_pattern

SCOPES = ("visit", "action")
MAX_NAME = 200
# Each hit is matched against its site's goals and read for its dimensions: bounded, so
# neither costs the hit path more than a few microseconds.
MAX_GOALS = 100
MAX_DIMENSIONS = 20


@dataclass(frozen=True, slots=True)
class GoalSpec:
    """A goal as an operator defines it, before it has an id."""

    name: str
    match: str
    pattern_type: str | None = None
    pattern: str | None = None
    case_sensitive: bool = False
    revenue: float | None = None
    allow_multiple: bool = False
    event_value_as_revenue: bool = False

    def check(self) -> None:
        if not 0 < len(self.name.strip()) <= MAX_NAME:
            raise ValueError(f"a goal's name has 1 to {MAX_NAME} characters")
        if self.match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}")
        if self.match == "manually":
            if self.pattern is not None or self.pattern_type is not None:
                raise ValueError("a manual goal (idgoal=N) has no pattern")
        else:
            if self.pattern is None or self.pattern_type is None:
                raise ValueError(f"a {self.match} goal needs a pattern and its type")
            check_pattern(self.pattern_type, self.pattern)
        if self.revenue is not None and not -1e15 <= self.revenue <= 1e15:
            raise ValueError("revenue out of range")
        if self.event_value_as_revenue and not self.match.startswith("event_"):
            raise ValueError("only an event goal can take the event value as revenue")


async def _site_exists(conn: asyncpg.Connection, site_id: int) -> None:
    if not await conn.fetchval("SELECT EXISTS (SELECT FROM sites WHERE site_id = $1)", site_id):
        raise ValueError(f"unknown site {site_id}; see: collector site list")


async def _room(conn: asyncpg.Connection, table: str, site_id: int, most: int) -> None:
    # `table` is one of two names from this module, never from a request.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1), $2)", table, site_id)
    n = await conn.fetchval(
        f"SELECT count(*) FROM {table} WHERE site_id = $1 AND deleted_at IS NULL", site_id
    )
    if n >= most:
        raise ValueError(f"a site has at most {most} {table}; delete one first")


async def add_goal(conn: asyncpg.Connection, site_id: int, spec: GoalSpec) -> int:
    spec.check()
    async with conn.transaction():
        await _site_exists(conn, site_id)
        await _room(conn, "goals", site_id, MAX_GOALS)
        goal_id: int = await conn.fetchval(
            "INSERT INTO goals (site_id, name, match, pattern_type, pattern, case_sensitive,"
            " revenue, allow_multiple, event_value_as_revenue)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING goal_id",
            site_id,
            spec.name.strip(),
            spec.match,
            spec.pattern_type,
            spec.pattern,
            spec.case_sensitive,
            spec.revenue,
            spec.allow_multiple,
            spec.event_value_as_revenue,
        )
        await conn.execute(f"NOTIFY {CHANNEL}")
    return goal_id


def _goal(row: asyncpg.Record) -> Goal:
    return Goal(
        goal_id=row["goal_id"],
        name=row["name"],
        match=row["match"],
        pattern_type=row["pattern_type"],
        pattern=row["pattern"],
        case_sensitive=row["case_sensitive"],
        revenue=row["revenue"],
        allow_multiple=row["allow_multiple"],
        event_value_as_revenue=row["event_value_as_revenue"],
    )


async def active_goals(conn: asyncpg.Connection) -> dict[int, tuple[Goal, ...]]:
    """Every site's goals that are not deleted, by site: what the hit path matches."""
    rows = await conn.fetch("SELECT * FROM goals WHERE deleted_at IS NULL ORDER BY goal_id")
    by_site: dict[int, list[Goal]] = {}
    for row in rows:
        by_site.setdefault(row["site_id"], []).append(_goal(row))
    return {site: tuple(goals) for site, goals in by_site.items()}


async def list_goals(conn: asyncpg.Connection, site_id: int) -> list[dict[str, Any]]:
    await _site_exists(conn, site_id)
    rows = await conn.fetch(
        "SELECT goal_id, name, match, pattern_type, pattern, case_sensitive, revenue,"
        " allow_multiple, event_value_as_revenue FROM goals"
        " WHERE site_id = $1 AND deleted_at IS NULL ORDER BY goal_id",
        site_id,
    )
    return [dict(r) for r in rows]


async def owner_site(conn: asyncpg.Connection, table: str, key: str, item_id: int) -> int | None:
    """The site a goal or dimension belongs to (None: there is none). Names from code."""
    assert (table, key) in (("goals", "goal_id"), ("dimensions", "dimension_id"))
    site: int | None = await conn.fetchval(
        f"SELECT site_id FROM {table} WHERE {key} = $1 AND deleted_at IS NULL", item_id
    )
    return site


async def delete_goal(conn: asyncpg.Connection, goal_id: int) -> None:
    async with conn.transaction():
        status = await conn.execute(
            "UPDATE goals SET deleted_at = now() WHERE goal_id = $1 AND deleted_at IS NULL",
            goal_id,
        )
        if status == "UPDATE 0":
            raise ValueError(f"unknown goal {goal_id}; see: collector goal list --site ID")
        await conn.execute(f"NOTIFY {CHANNEL}")


async def add_dimension(conn: asyncpg.Connection, site_id: int, name: str, scope: str) -> int:
    if not 0 < len(name.strip()) <= MAX_NAME:
        raise ValueError(f"a dimension's name has 1 to {MAX_NAME} characters")
    if scope not in SCOPES:
        raise ValueError("scope must be visit or action")
    async with conn.transaction():
        await _site_exists(conn, site_id)
        await _room(conn, "dimensions", site_id, MAX_DIMENSIONS)
        dimension_id: int = await conn.fetchval(
            "INSERT INTO dimensions (site_id, name, scope) VALUES ($1, $2, $3)"
            " RETURNING dimension_id",
            site_id,
            name.strip(),
            scope,
        )
        await conn.execute(f"NOTIFY {CHANNEL}")
    return dimension_id


async def active_dimensions(conn: asyncpg.Connection) -> dict[int, tuple[Dimension, ...]]:
    rows = await conn.fetch(
        "SELECT site_id, dimension_id, name, scope FROM dimensions WHERE deleted_at IS NULL"
        " ORDER BY dimension_id"
    )
    by_site: dict[int, list[Dimension]] = {}
    for row in rows:
        dimension = Dimension(row["dimension_id"], row["name"], row["scope"])
        by_site.setdefault(row["site_id"], []).append(dimension)
    return {site: tuple(dims) for site, dims in by_site.items()}


async def list_dimensions(conn: asyncpg.Connection, site_id: int) -> list[dict[str, Any]]:
    await _site_exists(conn, site_id)
    rows = await conn.fetch(
        "SELECT dimension_id, name, scope, 'dimension' || dimension_id AS parameter"
        " FROM dimensions WHERE site_id = $1 AND deleted_at IS NULL ORDER BY dimension_id",
        site_id,
    )
    return [dict(r) for r in rows]


async def delete_dimension(conn: asyncpg.Connection, dimension_id: int) -> None:
    async with conn.transaction():
        status = await conn.execute(
            "UPDATE dimensions SET deleted_at = now()"
            " WHERE dimension_id = $1 AND deleted_at IS NULL",
            dimension_id,
        )
        if status == "UPDATE 0":
            raise ValueError(
                f"unknown dimension {dimension_id}; see: collector dimension list --site ID"
            )
        await conn.execute(f"NOTIFY {CHANNEL}")

"""Database access: the connection pool, the SQL folder, and the migrations runner."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from collector.storage import codecs

log = logging.getLogger(__name__)

# A fixed key: one migrator at a time across every collector process on this database.
_MIGRATION_LOCK = 0x636F6C6C  # "coll"


def sql_dir() -> Path:
    """`sql/` beside the package (a checkout or editable install) or inside it (a wheel)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "sql", here / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("sql/migrations not found beside or inside the collector package")


# The writer's statement timeout (app.py). It must stay well below retention/horizon.py's
# LONGEST_WRITE: the roll-up does not wait for a transaction older than that, so a COPY must
# never run so long. (Reports have their own: COLLECTOR_REPORT_TIMEOUT_MS.)
WRITE_TIMEOUT = "10s"


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    statement_timeout: str | None = None,
    name: str = "collector",
    custom_plans: bool = False,
) -> asyncpg.Pool:
    # application_name: which pool a backend serves, for whoever reads pg_stat_activity
    server_settings = {"timezone": "UTC", "application_name": name}
    if statement_timeout:
        server_settings["statement_timeout"] = statement_timeout
    if custom_plans:
        # asyncpg prepares every statement, and after five runs PostgreSQL may keep a generic
        # plan for it: one that cannot see which `$n IS NULL OR …` filters are off, nor how
        # many days a period has. A report costs far more to run than to plan.
        server_settings["plan_cache_mode"] = "force_custom_plan"
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings=server_settings,
        init=codecs.register,
    )
    assert pool is not None
    return pool


async def migrate(conn: asyncpg.Connection, folder: Path | None = None) -> list[str]:
    """Apply `sql/migrations/*.sql` in name order, each once, each in its own transaction."""
    folder = folder or sql_dir() / "migrations"
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in sorted(folder.glob("*.sql")):
            if path.name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            applied.append(path.name)
            log.info("migration=%s applied", path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied

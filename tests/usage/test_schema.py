"""The usage tables hold only what the privacy policy lists, and nothing that could link a
request to an analytics session, a cookie or a person."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from collector.storage.db import migrate
from collector.usage.request import COLUMNS


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await migrate(connection)
    yield connection
    await connection.close()


async def columns(conn: asyncpg.Connection) -> dict[str, set[str]]:
    rows = await conn.fetch(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND c.table_name LIKE 'usage\\_%' "
        "AND t.table_type = 'BASE TABLE' AND c.table_name !~ '_p[0-9]{10}$'"
    )
    tables: dict[str, set[str]] = {}
    for r in rows:
        tables.setdefault(r["table_name"], set()).add(r["column_name"])
    return tables


async def test_a_usage_row_has_the_policys_fields_and_when_it_arrived(
    conn: asyncpg.Connection,
) -> None:
    tables = await columns(conn)
    assert tables["usage_requests"] == {*COLUMNS, "arrival"}
    assert set(COLUMNS) == {"site_id", "ts", "ip_prefix", "path", "status", "bytes",
                            "referrer", "browser", "os", "bot"}  # fmt: skip


async def test_no_usage_table_can_hold_a_session_cookie_visitor_or_user_agent(
    conn: asyncpg.Connection,
) -> None:
    tables = await columns(conn)
    assert len(tables) >= 10
    for table, names in tables.items():
        for name in names:
            for word in ("session", "visit", "cookie", "uid", "agent", "user", "consent"):
                assert word not in name, (table, name)


async def test_usage_tables_reference_nothing_and_nothing_references_them(
    conn: asyncpg.Connection,
) -> None:
    links = await conn.fetch(
        "SELECT conrelid::regclass::text AS source, confrelid::regclass::text AS target "
        "FROM pg_constraint WHERE contype = 'f'"
    )
    assert [r for r in links if "usage" in r["source"] or "usage" in r["target"]] == []

"""SQL helpers the roll-up relies on give the same answer as their definitions."""

from __future__ import annotations

import asyncio

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.storage.db import migrate
from collector.tracking.enrich import url_path

RFC3986 = "coalesce(nullif(substring(u FROM '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)'), ''), '/')"
parts = st.sampled_from(["/", "?", "#", ":", "@", "//", "://", "[::1]", "a", "é", "%2F", "HTTP"])
urls = st.one_of(
    st.builds(
        lambda scheme, auth, rest: f"{scheme}://{auth}{rest}",
        st.sampled_from(["http", "https", "HTTPS", "hTtP", "ftp"]),
        st.sampled_from(["host", "user:pw@host:8080", "[2001:db8::1]", "a.b.c", ""]),
        st.lists(parts, max_size=8).map("".join),
    ),
    st.lists(parts, max_size=10).map("".join),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(urls, min_size=1, max_size=40))
def test_url_path_in_sql_is_the_rfc_3986_path_and_the_python_one(
    database_url: str, batch: list[str]
) -> None:
    async def check() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn)  # when this test runs first or alone
            rows = await conn.fetch(
                f"SELECT u, url_path(u) AS fast, {RFC3986} AS rfc FROM unnest($1::text[]) u",
                batch,
            )
        finally:
            await conn.close()
        for row in rows:
            assert row["fast"] == row["rfc"], row["u"]
            assert row["fast"] == url_path(row["u"]), row["u"]

    asyncio.run(check())

"""An installation of the schema before 007 (daily UTC partitions, days rolled up at expiry)
migrates with its data: raw days are rolled up by the first run, days rolled up before stay
readable (as UTC days), and the numbers are those the old reports gave."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

from collector.reports.runner import run_report
from collector.retention.rollup import roll_up
from collector.storage.db import migrate, sql_dir
from collector.storage.partitions import existing_partitions
from collector.tracking.hit import COLUMNS, Hit

D0 = date(2022, 4, 10)  # rolled up and dropped before the upgrade
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)  # still raw
OLD_MIGRATIONS = [f"00{n}_" for n in range(1, 7)]


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def _old_schema(conn: asyncpg.Connection, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in sorted((sql_dir() / "migrations").glob("*.sql")):
        if path.name[:4] in OLD_MIGRATIONS:
            shutil.copy(path, folder)
    assert len(list(folder.glob("*.sql"))) == 6
    await migrate(conn, folder)


async def _old_data(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO sites (site_id, name, domains) VALUES (1, 'Old', '{old.example}')"
    )
    for day in (D1, D2, D2 + timedelta(days=1)):  # the old code made days ahead too
        await conn.execute(
            f"CREATE TABLE hits_p{day:%Y%m%d} PARTITION OF hits FOR VALUES "
            f"FROM ('{day} 00:00+00') TO ('{day + timedelta(days=1)} 00:00+00')"
        )
    # Days rolled up by the old code: daily totals and per-page rows, NULL for "none".
    await conn.execute(
        "INSERT INTO agg_site_days (site_id, day, visits, actions, pageviews, bounces, "
        "visit_seconds) VALUES (1, $1, 3, 5, 4, 1, 200)",
        D0,
    )
    await conn.executemany(
        "INSERT INTO agg_pages VALUES (1, $1, $2, $3, $4, $5, $6, $7)",
        [(D0, "/", 3, 3, 2, 1, 1), (D0, "/a", 1, 1, 1, 0, 2)],
    )
    await conn.executemany(
        "INSERT INTO agg_titles VALUES (1, $1, $2, $3, $4)", [(D0, "Home", 3, 3), (D0, None, 1, 1)]
    )
    await conn.executemany(
        "INSERT INTO agg_referrers VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)",
        [(D0, "direct", None, 2, 3, 2, 1, 120), (D0, "search", "Google", 1, 2, 2, 0, 80)],
    )
    s1, s2 = uuid.UUID(int=1).hex, uuid.UUID(int=2).hex
    hits = [
        # S1's visit of D0 went on past midnight: the old roll-up flagged its next hit
        Hit(1, utc(D1, 0, 5), s1, False, "pageview", "https://old.example/b"),
        Hit(1, utc(D1, 0, 10), s1, False, "pageview", "https://old.example/c"),
        Hit(1, utc(D1, 10), s2, False, "pageview", "https://old.example/", ref_type="direct"),
        Hit(1, utc(D1, 10, 5), s2, False, "pageview", "https://old.example/a"),
        Hit(1, utc(D2, 9), s2, False, "pageview", "https://old.example/", ref_type="direct"),
    ]
    await copy_hits(conn, hits)
    await conn.execute(
        "UPDATE hits SET continues_visit = true WHERE session_id = $1 AND ts = $2",
        s1,
        utc(D1, 0, 5),
    )


async def copy_hits(conn: asyncpg.Connection, hits: list[Hit]) -> None:
    """COPY into the schema as it is: an old one lacks the columns later migrations add."""
    present = {
        r["column_name"]
        for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'hits'"
        )
    }
    columns = [c for c in COLUMNS if c in present]
    records = [tuple(getattr(h, c) for c in columns) for h in hits]
    await conn.copy_records_to_table("hits", records=records, columns=columns)


async def test_an_installation_before_007_migrates_with_its_data(
    own_url: str, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(own_url, server_settings={"timezone": "UTC"})
    try:
        await _old_schema(conn, tmp_path)
        await _old_data(conn)

        applied = await migrate(conn)
        assert applied and applied[0] == "007_rollup.sql"
        hours = await existing_partitions(conn)
        assert hours == [utc(D1, 0), utc(D1, 10), utc(D2, 9)]  # the daily partitions are gone
        assert not await conn.fetchval("SELECT to_regclass('hits_p20220411')")
        assert await conn.fetchval("SELECT count(*) FROM hits") == 5

        # the first run takes in every raw hit (nothing else writes: up to this moment)
        await roll_up(
            conn, utc(D2, 12), 7, arrived_until=await conn.fetchval("SELECT clock_timestamp()")
        )

        async def report(name: str, first: date, last: date) -> list[dict]:
            return await run_report(conn, name, 1, first, last)

        assert await report("visits-over-time", D0, D2) == [
            {"day": D0.isoformat(), "visits": 3, "pageviews": 4, "actions": 5},
            {"day": D1.isoformat(), "visits": 1, "pageviews": 4, "actions": 4},
            {"day": D2.isoformat(), "visits": 1, "pageviews": 1, "actions": 1},
        ]
        [summary] = await report("summary", D0, D2)
        assert (summary["visits"], summary["pageviews"], summary["unique_pageviews"]) == (5, 9, 9)
        assert summary["bounce_rate"] == 40.0  # D0's bounce, and D2's one-page visit
        titles = {r["title"]: r["pageviews"] for r in await report("titles", D0, D0)}
        assert titles == {"Home": 3, "(no title)": 1}
        referrers = {(r["type"], r["name"]): r["visits"] for r in await report("referrers", D0, D2)}
        assert referrers == {("direct", None): 4, ("search", "Google"): 1}
        # hours of days rolled up before are unknown: zero, as before; raw days have them
        assert sum(r["visits"] for r in await report("visits-by-hour", D0, D0)) == 0
        assert [r["visits"] for r in await report("visits-by-hour", D1, D1)][10] == 1
        assert await conn.fetchval("SELECT count(*) FROM folded_days") == 1
    finally:
        await conn.close()


async def test_migration_008_backfills_screens_and_languages_of_the_kept_raw_hits(
    own_url: str, tmp_path: Path
) -> None:
    """Hits rolled up before 008 are in its new tables after it, as the roll-up would have
    put them there; so a late hit that makes an older hit the start of a visit subtracts the
    old visit from a row that holds it, and no count goes negative."""
    from collector.sites import add_site
    from collector.storage.partitions import ensure_partitions
    from tests.reference import install, reference_report

    conn = await asyncpg.connect(own_url, server_settings={"timezone": "UTC"})
    try:
        folder = tmp_path / "upto007"
        folder.mkdir()
        for path in sorted((sql_dir() / "migrations").glob("00[1-7]_*.sql")):
            shutil.copy(path, folder)
        await migrate(conn, folder)
        site = await add_site(conn, "Before 008", ["b8.example"], "Europe/Berlin")
        day = date(2026, 5, 4)
        await ensure_partitions(conn, utc(day, 0), 24)
        s1, s2 = uuid.UUID(int=81).hex, uuid.UUID(int=82).hex
        url = "https://b8.example/"
        await copy_hits(
            conn,
            [
                Hit(
                    site,
                    utc(day, 9),
                    s1,
                    False,
                    "pageview",
                    url,
                    resolution="1920x1080",
                    lang="de-at",
                ),
                Hit(site, utc(day, 9, 5), s1, False, "pageview", url + "a", lang="de-at"),
                Hit(
                    site, utc(day, 11), s2, False, "pageview", url, resolution="390x844", lang="en"
                ),
            ],
        )
        now = utc(day, 13)
        clock = "SELECT clock_timestamp()"
        # As a roll-up before 008 leaves it (today's code cannot run on 007's schema; the
        # tables 007 had are not looked at here): these hits are in the aggregates.
        await conn.execute(f"UPDATE rollup_state SET arrived_until = ({clock})")
        applied = await migrate(conn)
        assert applied[0] == "008_enrichment.sql", applied  # then those after it
        await install(conn)

        async def same(name: str) -> list[dict]:
            got = await run_report(conn, name, site, day, day)
            assert got == await reference_report(conn, name, site, day, day), name
            return got

        assert [r["resolution"] for r in await same("screen-sizes")] == ["390x844", "1920x1080"]
        assert [r["language"] for r in await same("languages")] == ["de", "en"]

        # s1's visit now starts earlier, on a phone in French: it moves to other rows
        late = Hit(
            site, utc(day, 8, 58), s1, False, "pageview", url, resolution="800x1280", lang="fr"
        )
        await copy_hits(conn, [late])
        await roll_up(conn, now, 7, arrived_until=await conn.fetchval(clock))
        assert [r["resolution"] for r in await same("screen-sizes")] == ["390x844", "800x1280"]
        assert [r["language"] for r in await same("languages")] == ["en", "fr"]
        for table in ("agg_screens", "agg_languages", "agg_countries"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE visits < 0") == 0
    finally:
        await conn.close()

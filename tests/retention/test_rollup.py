"""What aggregates keep: no session id, no IP, no query or fragment; rare values folded."""

from __future__ import annotations

from datetime import date, timedelta

from collector.retention.purge import AGGREGATE_TABLES
from tests.retention.backdated import app_at, run, visit
from tests.retention.test_purge import at, headline, reports
from tests.support import dump_database, settings_for


async def test_aggregates_hold_no_session_id_ip_query_string_or_fragment(database_url: str) -> None:
    x = date(2021, 8, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        secret = "jane.doe@example.org"
        for hour in (9, 10):  # two visits each, so nothing is folded away unseen
            await visit(
                running,
                at(d, hour),
                {
                    "path": f"/account?mail={secret}#token=abc",
                    "urlref": f"https://web.example/?q={secret}",
                },
                {"path": "/f", "download": f"https://files.example/doc.pdf?mail={secret}#p2"},
                {"path": "/f", "link": f"https://out.example/away?mail={secret}"},
            )
        await running.flush()
        raw = await running.rows(
            "SELECT session_id::text AS s, host(ip_prefix) AS ip FROM hits WHERE site_id = $1",
            running.site_id,
        )
        sessions = {r["s"] for r in raw}
        ips = {r["ip"] for r in raw if r["ip"]}
        assert len(sessions) == 2 and ips

        await run(running, "hits", at(x + timedelta(days=2)))
        async with running.pool.acquire() as conn:
            rows = []
            for t in AGGREGATE_TABLES:
                rows += await conn.fetch(f"SELECT * FROM {t} WHERE site_id = $1", running.site_id)
            dump = "\n".join(str(tuple(r)) for r in rows)
            pages = {
                r["page"]
                for r in await conn.fetch(
                    "SELECT page FROM agg_pages WHERE site_id = $1", running.site_id
                )
            }
            targets = {
                r["target"]
                for r in await conn.fetch(
                    "SELECT target FROM agg_targets WHERE site_id = $1", running.site_id
                )
            }
        assert pages == {"/account"}  # downloads and outlinks are not pageviews
        assert targets == {"https://files.example/doc.pdf", "https://out.example/away"}
        for value in (*sessions, *ips, secret, "token=abc", "?", "#"):
            assert value not in dump
        everything = await dump_database(running.pool)
        assert not any(s in everything for s in sessions)  # the raw rows are gone too


async def test_values_seen_in_fewer_visits_than_the_threshold_are_folded_into_others(
    database_url: str,
) -> None:
    x = date(2021, 9, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(database_url, rollup_min_count=2), at(x)) as running:
        await visit(running, at(d, 9), "/", {"path": "/", "search": "rare name"}, "/popular")
        await visit(
            running, at(d, 10), {"path": "/", "urlref": "https://blog.example/"}, "/popular"
        )
        await visit(running, at(d, 11), "/popular", "/only-once")
        await running.flush()
        before = await reports(running, d, d)

        await run(running, "hits", at(x + timedelta(days=2)))
        after = await reports(running, d, d)
        assert after["summary"] == before["summary"]
        pages = {r["page"]: r["pageviews"] for r in after["pages"]}
        assert pages == {"/popular": 3, "/": 2, "(others)": 1}
        referrers = {(r["type"], r["name"]): r["visits"] for r in after["referrers"]}
        assert referrers == {("direct", None): 2, ("website", "(others)"): 1}
        async with running.pool.acquire() as conn:
            keywords = await conn.fetch(
                "SELECT keyword, searches FROM agg_site_search WHERE site_id = $1", running.site_id
            )
        assert [tuple(k) for k in keywords] == [("(others)", 1)]


async def test_a_visit_over_midnight_is_not_counted_again_once_its_first_day_is_dropped(
    database_url: str,
) -> None:
    x = date(2021, 10, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(database_url), at(x)) as running:
        await visit(running, at(d, 23, 50), "/", "/a", "/b")
        await visit(running, at(d, 23, 59), "/", "/a", "/b", {"path": "/c", "new_visit": "1"})
        await running.flush()
        next_day = await reports(running, d + timedelta(days=1), d + timedelta(days=1))
        assert headline(next_day) == (1, 3)  # the new_visit=1 one
        await run(running, "hits", at(x + timedelta(days=2)))
        assert await reports(running, d + timedelta(days=1), d + timedelta(days=1)) == next_day


async def test_a_new_visit_just_after_midnight_still_counts_once_the_day_before_is_dropped(
    database_url: str,
) -> None:
    x = date(2022, 5, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        # new_visit=1 a minute after the last hit, and after midnight: a visit of the next day
        await visit(running, at(d, 23, 58), "/", "/a", {"path": "/b", "new_visit": "1"})
        await running.flush()
        both = await reports(running, d, d + timedelta(days=1))
        next_day = await reports(running, d + timedelta(days=1), d + timedelta(days=1))
        assert headline(next_day) == (1, 1)
        await run(running, "hits", at(x + timedelta(days=2)))
        assert await reports(running, d + timedelta(days=1), d + timedelta(days=1)) == next_day
        assert await reports(running, d, d + timedelta(days=1)) == both


async def test_heartbeats_of_no_visit_carry_none_past_midnight_once_the_day_is_dropped(
    database_url: str,
) -> None:
    x = date(2022, 6, 20)
    d = x - timedelta(days=6)

    def cdt(day: date, hour: int, minute: int) -> str:
        return at(day, hour, minute).strftime("%Y-%m-%d %H:%M:%S")

    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        # a heartbeat 45 minutes after the last action belongs to no visit (as Matomo drops
        # it); the action 20 minutes after it, past midnight, starts a visit of the next day
        await visit(
            running,
            at(d, 23, 0),
            "/",
            {"path": "/", "ping": "1", "cdt": cdt(d, 23, 45)},
            {"path": "/c", "cdt": cdt(d + timedelta(days=1), 0, 5)},
        )
        await running.flush()
        both = await reports(running, d, d + timedelta(days=1))
        assert headline(both) == (2, 2)
        await run(running, "hits", at(x + timedelta(days=2)))
        assert await reports(running, d, d + timedelta(days=1)) == both


async def test_every_aggregate_table_is_purged_by_aggregate_retention(database_url: str) -> None:
    async with app_at(settings_for(database_url), at(date(2021, 11, 20))) as running:
        async with running.pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name LIKE 'agg\\_%'"
            )
        assert sorted(AGGREGATE_TABLES) == sorted(t["table_name"] for t in tables)


async def test_aggregates_are_deleted_after_their_own_retention_and_kept_by_default(
    database_url: str,
) -> None:
    x = date(2021, 12, 20)
    d = x - timedelta(days=6)
    settings = settings_for(database_url, aggregate_retention_days=30)
    async with app_at(settings, at(x)) as running:
        await visit(running, at(d, 9), "/")
        await visit(running, at(d + timedelta(days=1), 9), "/")
        await running.flush()
        await run(running, "hits", at(x + timedelta(days=10)))  # both days rolled up
        summary = await reports(running, d, d + timedelta(days=1))

        kept = await run(running, "aggregates", at(d + timedelta(days=30)))
        assert d not in {r.day for r in kept.removals or ()}
        assert await reports(running, d, d + timedelta(days=1)) == summary

        gone = await run(running, "aggregates", at(d + timedelta(days=31)))
        assert d in {r.day for r in gone.removals or ()}
        assert d + timedelta(days=1) not in {r.day for r in gone.removals or ()}
        after = await reports(running, d, d + timedelta(days=1))
        assert headline(after) == (1, 1)

    async with app_at(
        settings_for(database_url), at(x), (running.site_id, running.domain)
    ) as again:
        forever = await run(again, "aggregates", at(x + timedelta(days=3650)))
        assert forever.removals == []
        assert (await reports(again, d, d + timedelta(days=1)))["summary"] == after["summary"]

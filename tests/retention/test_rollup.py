"""The roll-up: what aggregates keep, late hits, two at once, killed half-way, erasure."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_dimension, add_goal
from collector.retention.purge import AGGREGATE_TABLES
from collector.retention.rollup import roll_up
from tests.reports.conftest import CHROME_ANDROID, FIREFOX_LINUX
from tests.retention.backdated import app_at, run, visit
from tests.retention.test_purge import at, headline, reference, reports
from tests.support import dump_database, settings_for


async def test_aggregates_hold_no_session_id_ip_query_string_or_fragment(own_url: str) -> None:
    x = date(2021, 8, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(own_url, rollup_min_count=1), at(x)) as running:
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
        await running.roll_up()
        raw = await running.rows(
            "SELECT session_id::text AS s, host(ip_prefix) AS ip FROM hits WHERE site_id = $1",
            running.site_id,
        )
        sessions = {r["s"] for r in raw}
        ips = {r["ip"] for r in raw if r["ip"]}
        assert len(sessions) == 2 and ips

        await run(running, "hits", at(x + timedelta(days=2)))  # raw gone, day folded
        async with running.pool.acquire() as conn:
            rows = []
            for t in AGGREGATE_TABLES:
                rows += await conn.fetch(f"SELECT * FROM {t} WHERE site_id = $1", running.site_id)
            pages = {r["page"] for r in rows if "page" in r}
            targets = {r["target"] for r in rows if "target" in r}
        dump = "\n".join(str(tuple(r)) for r in rows)
        assert pages == {"/account"}  # downloads and outlinks are not pageviews
        assert targets == {"https://files.example/doc.pdf", "https://out.example/away"}
        for value in (*sessions, *ips, secret, "token=abc", "?", "#"):
            assert value not in dump
        everything = await dump_database(running.pool)
        assert not any(s in everything for s in sessions)  # the raw rows are gone too


async def test_values_seen_in_fewer_visits_than_the_threshold_are_folded_into_others(
    own_url: str,
) -> None:
    x = date(2021, 9, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(own_url, rollup_min_count=2), at(x)) as running:
        await visit(running, at(d, 9), "/", {"path": "/", "search": "rare name"}, "/popular")
        await visit(
            running, at(d, 10), {"path": "/", "urlref": "https://blog.example/"}, "/popular"
        )
        await visit(running, at(d, 11), "/popular", "/only-once")
        await running.roll_up()
        before = await reports(running, d, d)
        assert {r["keyword"] for r in before["site-search"]} == {"rare name"}

        await run(running, "hits", at(x + timedelta(days=2)))
        after = await reports(running, d, d)
        assert after["summary"] == before["summary"]
        pages = {r["page"]: r["pageviews"] for r in after["pages"]}
        assert pages == {"/popular": 3, "/": 2, "(others)": 1}
        referrers = {(r["type"], r["name"]): r["visits"] for r in after["referrers"]}
        assert referrers == {("direct", None): 2, ("website", "(others)"): 1}
        assert [(r["keyword"], r["searches"]) for r in after["site-search"]] == [("(others)", 1)]


async def test_rare_products_contents_dimension_values_and_goal_sources_are_folded_too(
    own_url: str,
) -> None:
    x = date(2021, 9, 22)
    d = x - timedelta(days=6)
    async with app_at(settings_for(own_url, rollup_min_count=2), at(x)) as running:
        async with running.pool.acquire() as conn:
            goal = await add_goal(conn, running.site_id, GoalSpec("Signup", "manually"))
            member = await add_dimension(conn, running.site_id, "Member", "visit")
        await running.app[SITES].load()
        items = '[["SKU-RARE", "Rare", "", 5, 1]]'
        timed = {"path": "/only-once", "pf_srv": 120}
        await visit(
            running,
            at(d, 9),
            {"path": "/", f"dimension{member}": "jane", "urlref": "https://rare.example/"},
            {"path": "/", "idgoal": goal},
            {"path": "/", "idgoal": 0, "ec_id": "1", "revenue": 5, "ec_items": items},
            {"path": "/", "c_n": "Rare banner", "ca": 1},
            timed,
        )
        for hour in (10, 11):
            await visit(
                running, at(d, hour), {"path": "/", "pf_srv": 80}, {"path": "/", "idgoal": goal}
            )
        await running.roll_up()
        before = await reports(running, d, d)
        assert before["products"][0]["sku"] == "SKU-RARE"

        await run(running, "hits", at(x + timedelta(days=2)))
        after = await reports(running, d, d)
        for name in ("summary", "goals", "ecommerce"):
            assert after[name] == before[name], name
        assert [r["sku"] for r in after["products"]] == ["(others)"]
        assert [r["name"] for r in after["contents"]] == ["(others)"]
        assert [r["value"] for r in after["dimensions"]] == ["(others)"]
        sources = {(r["channel"], r["source"]): r["conversions"] for r in after["goal-channels"]}
        assert sources == {("direct", None): 2, ("website", "(others)"): 1}
        timings = {r["page"]: r["pageviews"] for r in after["page-performance"]}
        assert timings == {"/": 2, "(others)": 1}  # as the pages are folded


async def test_rare_languages_regions_and_resolutions_are_folded_but_not_width_classes(
    own_url: str,
) -> None:
    x = date(2021, 9, 24)
    d = x - timedelta(days=6)
    async with app_at(settings_for(own_url, rollup_min_count=2), at(x)) as running:
        for hour, lang, res in (
            (9, "de-DE", "1920x1080"),
            (10, "de-AT", "1920x1080"),
            (11, "fr", "390x844"),
        ):
            await visit(running, at(d, hour), {"path": "/", "lang": lang, "res": res}, "/b")
        await running.roll_up()
        before = await reports(running, d, d)
        await run(running, "hits", at(x + timedelta(days=2)))
        after = await reports(running, d, d)
        assert [(r["language"], r["visits"], r["with_region"]) for r in before["languages"]] == [
            ("de", 2, 2),
            ("fr", 1, 0),
        ]
        # de is common, its regions (one visit each) are not: they are de's "(others)"
        assert [(r["language"], r["visits"], r["with_region"]) for r in after["languages"]] == [
            ("de", 2, 2),
            ("(others)", 1, 0),
        ]
        assert [(r["width"], r["resolution"], r["visits"]) for r in after["screen-sizes"]] == [
            ("≥ 1920", "1920x1080", 2),
            ("< 576", "(others)", 1),
        ]
        assert [(r["country"], r["visits"]) for r in after["countries"]] == [("(unknown)", 3)]
        async with running.pool.acquire() as conn:
            regions = await conn.fetch(
                "SELECT language, region, visits FROM agg_languages WHERE site_id = $1 "
                'ORDER BY language COLLATE "C"',
                running.site_id,
            )
        assert [tuple(r) for r in regions] == [("(others)", "", 1), ("de", "(others)", 2)]


async def test_a_late_hit_that_joins_two_visits_is_counted_as_one_visit(own_url: str) -> None:
    """Hits back-dated with cdt arrive after the aggregates counted their neighbours: the
    roll-up subtracts the two visits it counted and adds the one there is now."""
    x = date(2022, 7, 20)
    async with app_at(settings_for(own_url), at(x, 12)) as running:
        start = at(x, 9)
        await visit(running, start, "/", "/a", "/b")  # 09:00-09:02, one session
        await running.roll_up()
        [row, *_] = await running.rows("SELECT session_id FROM hits WHERE site_id = $1")
        session = row["session_id"]
        # the same browser, 09:40: more than 30 minutes later, a second visit
        jar = {"collector_consent": "1", "collector_session": session.hex}
        late = {"url": f"https://{running.domain}/c", "cdt": "2022-07-20 09:40:00"}
        status, _, _ = await running.get(
            "/matomo.php", running.hit_params(**late, token_auth="test-token"), jar
        )
        assert status == 200
        await running.roll_up()
        assert headline(await reports(running, x, x)) == (2, 4)
        # then, late, the heartbeat at 09:20 that kept the first visit alive until 09:40
        ping = {"url": f"https://{running.domain}/b", "cdt": "2022-07-20 09:20:00", "ping": "1"}
        status, _, _ = await running.get(
            "/matomo.php", running.hit_params(**ping, token_auth="test-token"), jar
        )
        assert status == 200
        await running.roll_up()
        got = await reports(running, x, x)
        assert headline(got) == (1, 4)
        assert got == await reference(running, x, x)


async def test_two_roll_ups_at_once_count_every_hit_once(own_url: str) -> None:
    x = date(2022, 8, 20)
    async with app_at(settings_for(own_url), at(x, 18)) as running:
        for hour in range(9, 17):
            await visit(running, at(x, hour), "/", "/a", {"path": "/b", "ping": "1"})
        await running.flush()
        conns = [await asyncpg.connect(own_url) for _ in range(2)]
        until = await conns[0].fetchval("SELECT clock_timestamp()")  # the writer is flushed
        try:
            done = await asyncio.gather(
                *(roll_up(c, running.clock(), 7, arrived_until=until) for c in conns)
            )
        finally:
            for c in conns:
                await c.close()
        assert sorted(r.sessions for r in done) == [0, 8]  # one waited, then found nothing new
        assert await reports(running, x, x) == await reference(running, x, x)
        assert headline(await reports(running, x, x)) == (8, 16)


async def test_a_roll_up_killed_half_way_leaves_nothing_and_a_rerun_counts_it_once(
    own_url: str,
) -> None:
    x = date(2021, 6, 20)
    async with app_at(settings_for(own_url), at(x, 18)) as running:
        await visit(running, at(x, 9), "/", "/a", {"path": "/a", "search": "kita"})
        await visit(running, at(x, 10), "/b", {"path": "/b", "e_c": "Video", "e_a": "play"})
        await running.flush()
        # A reader holds agg_site_search: the roll-up writes the tables before it, then waits
        # on that one. Its backend is killed there, as a crashed process would be.
        reader = await asyncpg.connect(own_url)
        victim = await asyncpg.connect(own_url, server_settings={"timezone": "UTC"})
        try:
            tr = reader.transaction()
            await tr.start()
            await reader.execute("LOCK TABLE agg_site_search IN SHARE MODE")
            pid = victim.get_server_pid()
            until = await reader.fetchval("SELECT clock_timestamp()")
            task = asyncio.create_task(roll_up(victim, running.clock(), 7, arrived_until=until))
            while not await reader.fetchval(  # noqa: ASYNC110 (a lock wait in another backend)
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)", pid
            ):
                await asyncio.sleep(0.01)
            await reader.execute("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
                await task
            await tr.rollback()
        finally:
            await reader.close()
            victim.terminate()
        assert headline(await reports(running, x, x)) == (0, 0)  # nothing half-written
        await running.roll_up()
        assert headline(await reports(running, x, x)) == (2, 3)
        assert await reports(running, x, x) == await reference(running, x, x)


async def test_a_visit_over_local_midnight_counts_on_the_day_it_started(own_url: str) -> None:
    # Europe/Berlin in summer: local midnight is 22:00 UTC.
    x = date(2022, 6, 14)
    async with app_at(settings_for(own_url), at(x, 12), timezone="Europe/Berlin") as running:
        await visit(running, datetime(2022, 6, 13, 21, 58, tzinfo=UTC), "/", "/a", "/b", "/c")
        await visit(
            running,
            datetime(2022, 6, 13, 21, 59, tzinfo=UTC),
            *(dict(path=p, ua=CHROME_ANDROID) for p in ("/", "/a")),
            {"path": "/b", "new_visit": "1", "ua": FIREFOX_LINUX},
        )
        await running.roll_up()
        day_before, day = date(2022, 6, 13), date(2022, 6, 14)
        assert headline(await reports(running, day_before, day_before)) == (2, 3)
        # the new_visit=1 at 00:01 local is a visit of the next day; the rest are pageviews
        assert headline(await reports(running, day, day)) == (1, 4)
        for first, last in ((day_before, day_before), (day, day), (day_before, day)):
            assert await reports(running, first, last) == await reference(running, first, last)


async def test_a_folded_day_keeps_the_most_visited_rows_and_counts_the_rest_as_others(
    own_url: str,
) -> None:
    x = date(2021, 10, 20)
    d = x - timedelta(days=6)
    settings = settings_for(own_url, rollup_min_count=1, rollup_max_rows=10)
    async with app_at(settings, at(x)) as running:
        for page in range(12):  # page n is seen in n + 1 visits
            for v in range(page + 1):
                await visit(running, at(d, 8) + timedelta(minutes=40 * page + v), f"/p{page}")
        await running.roll_up()
        before = await reports(running, d, d)
        assert len(before["pages"]) == 12
        await run(running, "hits", at(x + timedelta(days=2)))
        after = await reports(running, d, d)
        assert after["summary"] == before["summary"]  # totals do not change
        pages = {r["page"]: r["unique_pageviews"] for r in after["pages"]}
        assert pages == {f"/p{n}": n + 1 for n in range(2, 12)} | {"(others)": 3}

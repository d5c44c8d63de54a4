"""GET and DELETE /privacy/me: exactly the session's data; erased from every table."""

from __future__ import annotations

from urllib.parse import urljoin

import orjson

from collector.appkeys import WRITER
from collector.goals import GoalSpec
from tests.matomo_requests import MatomoJs, add_goals, report
from tests.privacy.conftest import Jar, send, site_origin
from tests.support import CONSENT, Running, dump_database


async def browse(server: Running, title: str, cookies: dict[str, str]) -> str:
    """One consented page view; the session cookie it was linked to."""
    _, headers, _ = await server.get(
        "/matomo.php",
        server.hit_params(action_name=title, urlref="https://search.example/?q=x"),
        cookies={**CONSENT, **cookies},
    )
    return cookies.get("collector_session") or headers["Set-Cookie"].split(";")[0].split("=")[1]


async def test_export_contains_exactly_this_sessions_hits_and_receipt(server: Running) -> None:
    mine = await browse(server, "Mine 1", {})
    await browse(server, "Mine 2", {"collector_session": mine})
    await browse(server, "Someone else", {})
    jar = Jar({"collector_session": mine})
    jar.take(await send("POST", server.base + "/optin", headers={"Origin": site_origin(server)}))

    answer = await send("GET", server.base + "/privacy/me", cookies=jar.values)
    doc = orjson.loads(answer.body)
    assert answer.status == 200 and answer.headers["Cache-Control"] == "no-store"
    assert doc["session"] == mine
    assert [h["title"] for h in doc["hits"]] == ["Mine 1", "Mine 2"]
    assert {h["referrer"] for h in doc["hits"]} == {"https://search.example/?q=x"}
    assert all(h["url"] == f"https://{server.domain}/page" and h["ts"] for h in doc["hits"])
    assert [r["receipt_id"] for r in doc["receipts"]] == [jar.values["collector_consent"]]
    assert doc["receipts"][0]["choice"] == "optin"
    assert "session ends" in doc["about"]


async def test_export_without_a_session_cookie_finds_nothing(server: Running) -> None:
    await browse(server, "Someone", {})
    doc = orjson.loads((await send("GET", server.base + "/privacy/me")).body)
    assert (doc["session"], doc["hits"], doc["receipts"]) == (None, [], [])


async def test_export_includes_a_hit_still_in_the_writers_queue(
    slow_writer_server: Running,
) -> None:
    server = slow_writer_server
    mine = await browse(server, "Queued", {})
    assert server.app[WRITER].depth == 1  # not written yet
    doc = orjson.loads(
        (await send("GET", server.base + "/privacy/me", cookies={"collector_session": mine})).body
    )
    assert [h["title"] for h in doc["hits"]] == ["Queued"]


async def test_erase_removes_a_hit_sent_just_before_from_every_table(
    slow_writer_server: Running,
) -> None:
    server = slow_writer_server
    async with server.pool.acquire() as conn:  # a table another module might add later
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS test_visit_notes (site_id int, session_id uuid, note text)"
        )
    try:
        mine = await browse(server, "First", {})
        await server.flush()
        other = await browse(server, "Other", {})
        async with server.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO test_visit_notes VALUES ($1, $2, 'x'), ($1, $3, 'y')",
                server.site_id,
                mine,
                other,
            )
        await browse(server, "Just before", {"collector_session": mine})
        assert server.app[WRITER].depth == 2  # "Other" and "Just before": not in the table yet

        answer = await send(
            "DELETE",
            server.base + "/privacy/me",
            cookies={"collector_session": mine},
            headers={"Origin": site_origin(server)},
        )
        await server.flush()
        assert answer.status == 200
        assert orjson.loads(answer.body)["erased"]["hits"] == 2
        cleared = answer.cookie("collector_session")["collector_session"]
        assert (cleared.value, cleared["max-age"]) == ("", "0")
        dump = await dump_database(server.pool)
        assert mine not in dump.replace("-", "")
        assert [r["title"] for r in await server.rows()] == ["Other"]
        notes = await server.rows(
            "SELECT note FROM test_visit_notes WHERE site_id = $1", server.site_id
        )
        assert [r["note"] for r in notes] == ["y"]
    finally:
        async with server.pool.acquire() as conn:
            await conn.execute("DROP TABLE test_visit_notes")


async def test_cross_site_erase_is_refused_and_erases_nothing(server: Running) -> None:
    mine = await browse(server, "Kept", {})
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {}):
        answer = await send(
            "DELETE",
            server.base + "/privacy/me",
            cookies={"collector_session": mine},
            headers=headers,
        )
        assert answer.status == 403
    await server.flush()
    assert [r["title"] for r in await server.rows()] == ["Kept"]


async def test_erase_form_erases_the_session_and_the_page_it_returns_to_says_so(
    server: Running,
) -> None:
    mine = await browse(server, "Mine 1", {})
    await browse(server, "Mine 2", {"collector_session": mine})
    await browse(server, "Other", {})
    answer = await send(
        "POST",
        server.base + "/privacy/me/erase",
        cookies={"collector_session": mine},
        headers={"Origin": server.base},
        data={"lang": "en", "idsite": str(server.site_id)},
    )
    assert answer.status == 303
    location = answer.headers["Location"]
    assert location == f"../../optout?lang=en&idsite={server.site_id}&erased=2"
    cleared = answer.cookie("collector_session")["collector_session"]
    assert (cleared.value, cleared["max-age"]) == ("", "0")
    await server.flush()
    assert [r["title"] for r in await server.rows()] == ["Other"]
    back = await send("GET", urljoin(server.base + "/privacy/me/erase", location))
    page = back.body.decode()
    assert "Erased: 2 records linked to this browser session" in page
    assert "privacy/me/erase" not in page  # no session cookie left: nothing more to erase


async def test_erase_form_without_a_session_erases_nothing_and_says_so(server: Running) -> None:
    await browse(server, "Someone", {})
    answer = await send(
        "POST", server.base + "/privacy/me/erase", headers={"Origin": server.base}, data={}
    )
    assert (answer.status, answer.headers["Location"]) == (303, "../../optout?erased=0")
    page = (await send("GET", server.base + "/optout?lang=en&erased=0")).body.decode()
    assert "there was nothing to erase" in page
    await server.flush()
    assert len(await server.rows()) == 1


async def test_cross_site_erase_form_is_refused_and_erases_nothing(server: Running) -> None:
    mine = await browse(server, "Kept", {})
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {}):
        answer = await send(
            "POST",
            server.base + "/privacy/me/erase",
            cookies={"collector_session": mine},
            headers=headers,
            data={"lang": "en"},
        )
        assert answer.status == 403 and answer.set_cookies == []
    await server.flush()
    assert [r["title"] for r in await server.rows()] == ["Kept"]


async def test_a_link_cannot_make_the_page_claim_a_live_session_was_erased(
    server: Running,
) -> None:
    mine = await browse(server, "Live", {})
    page = (
        await send(
            "GET", server.base + "/optout?lang=en&erased=5", cookies={"collector_session": mine}
        )
    ).body.decode()
    assert "Erased" not in page
    assert 'action="privacy/me/erase"' in page  # the session is there: it can be erased


async def test_goals_orders_content_and_timings_are_exported_and_erased_with_their_counts(
    server: Running,
) -> None:
    [signup] = await add_goals(server, GoalSpec("Signup", "manually"))
    mine = MatomoJs(server, "/shop")
    await mine.get(mine.pageview("Shop", (5, 40, 3, 90, 120, 8)))
    await mine.get(mine.goal(signup, 9))
    await mine.post(mine.ecommerce("ORDER-5", 20, [["SKU-9", "Mug", "Home", 10, 2]]))
    await mine.bulk(mine.content_impression("Banner", "mug.png"))
    other = MatomoJs(server, "/shop")
    await other.get(other.goal(signup))
    [goal] = await report(server, "goals")
    assert goal["conversions"] == 2

    session = mine.jar["collector_session"]
    raw_visits = (
        "SELECT replace(session_id::text, '-', '') AS s, did FROM raw_visits WHERE site_id = $1"
    )
    before = {r["s"]: r["did"] for r in await server.rows(raw_visits)}
    assert before[session] == ["goal:" + str(signup), "page:/shop"]
    doc = orjson.loads(
        (
            await send("GET", server.base + "/privacy/me", cookies={"collector_session": session})
        ).body
    )
    by_action = {h["action"]: h for h in doc["hits"]}
    assert set(by_action) == {"pageview", "goal", "order", "content_impression"}
    assert by_action["goal"]["goals"] == [[signup, 9.0, True]]
    assert by_action["order"]["ec_items"] == [["SKU-9", "Mug", "Home", 10, 2]]
    assert by_action["order"]["revenue"] == 20.0 and "ORDER-5" not in str(doc)
    assert by_action["content_impression"]["content_name"] == "Banner"
    assert (by_action["pageview"]["pf_srv"], by_action["pageview"]["pf_onl"]) == (40, 8)

    answer = await send(
        "DELETE",
        server.base + "/privacy/me",
        cookies={"collector_session": session},
        headers={"Origin": site_origin(server)},
    )
    assert orjson.loads(answer.body)["erased"]["hits"] == 4
    [goal] = await report(server, "goals")
    assert goal["conversions"] == 1  # the other visit's
    # the visit's raw row went too, the other's stays
    assert {r["s"] for r in await server.rows(raw_visits)} == set(before) - {session}
    assert len(before) == 2
    [shop] = await report(server, "ecommerce")
    assert (shop["orders"], shop["revenue"]) == (0, 0.0)
    assert await report(server, "products") == []
    assert await report(server, "contents") == []
    assert await report(server, "page-performance") == []

"""The tracking endpoint over real sockets, into a real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import orjson

from collector.appkeys import METRICS
from collector.tracking.endpoint import GIF
from tests.support import CONSENT, Running, dump_database, request


async def test_consented_pixel_hit_is_stored_and_answered_with_a_gif(server: Running) -> None:
    status, headers, body = await server.get(
        "/matomo.php", server.hit_params(action_name="Home"), cookies=CONSENT
    )
    await server.flush()
    assert status == 200
    assert body == GIF
    assert headers["Content-Type"] == "image/gif"
    assert headers["Cache-Control"] == "no-store"
    rows = await server.rows()
    assert [(r["action"], r["title"], r["url"]) for r in rows] == [
        ("pageview", "Home", f"https://{server.domain}/page")
    ]


async def test_hit_without_consent_cookie_is_not_stored_and_looks_the_same(
    server: Running,
) -> None:
    status, headers, body = await server.get("/matomo.php", server.hit_params())
    await server.flush()
    assert (status, body) == (200, GIF)
    assert "Set-Cookie" not in headers
    assert await server.rows() == []


async def test_consent_cookie_saying_no_counts_as_no_consent(server: Running) -> None:
    for value in ("0", "false", "no", "off", ""):
        await server.get("/matomo.php", server.hit_params(), cookies={"collector_consent": value})
    await server.flush()
    assert await server.rows() == []


async def test_matomo_consent_cookie_counts_as_opt_in(server: Running) -> None:
    await server.get("/matomo.php", server.hit_params(), cookies={"mtm_consent": "1732000000"})
    await server.flush()
    assert len(await server.rows()) == 1


async def test_global_privacy_control_is_treated_as_no_consent(server: Running) -> None:
    await server.get("/matomo.php", server.hit_params(), cookies=CONSENT, headers={"Sec-GPC": "1"})
    await server.get("/matomo.php", server.hit_params(), cookies=CONSENT, headers={"DNT": "1"})
    await server.flush()
    assert await server.rows() == []


async def test_send_image_0_answers_204(server: Running) -> None:
    status, headers, body = await server.get(
        "/piwik.php", server.hit_params(send_image=0), cookies=CONSENT
    )
    assert (status, body) == (204, b"")
    assert headers["Cache-Control"] == "no-store"


async def test_form_post_is_stored(server: Running) -> None:
    status, _, _ = await request(
        "POST",
        server.base + "/matomo.php",
        cookies=CONSENT,
        data=server.hit_params(action_name="Posted", send_image=0),
    )
    await server.flush()
    assert status == 204
    assert [r["title"] for r in await server.rows()] == ["Posted"]


def _page(server: Running, i: int) -> str:
    """A bulk request for page /p{i}."""
    return f"?idsite={server.site_id}&rec=1&url={quote(f'https://{server.domain}/p{i}')}"


async def _bulk(server: Running, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    """A bulk JSON POST with the consent cookie."""
    return await request(
        "POST", server.base + "/matomo.php", cookies=CONSENT, data=orjson.dumps(body)
    )


async def test_bulk_json_post_stores_every_request(server: Running) -> None:
    status, _headers, body = await _bulk(server, {"requests": [_page(server, i) for i in range(5)]})
    await server.flush()
    assert status == 200
    assert orjson.loads(body)["tracked"] == 5
    urls = sorted(r["url"] for r in await server.rows())
    assert urls == [f"https://{server.domain}/p{i}" for i in range(5)]


async def test_a_bulks_requests_are_stored_in_the_order_sent(server: Running) -> None:
    # in reverse alphabetical order, so that no other ordering of the rows passes
    order = [9, 3, 7, 0, 5, 1]
    requests = [_page(server, i) for i in order]
    requests.insert(3, _page(server, 2) + "&cdt=bad")  # an invalid one in between changes nothing
    status, _, _ = await _bulk(server, {"requests": requests})
    await server.flush()
    assert status == 200
    rows = await server.rows("SELECT url, ts FROM hits WHERE site_id = $1 ORDER BY ts")
    assert [r["url"] for r in rows] == [f"https://{server.domain}/p{i}" for i in order]
    assert len({r["ts"] for r in rows}) == len(order)  # one instant each: the roll-up's order


async def test_bulk_tracks_its_valid_requests_and_counts_the_invalid_ones(
    server: Running,
) -> None:
    # As Matomo's BulkTracking: the valid requests are tracked; the answer says how many were
    # invalid, and which only to the holder of the token.
    good = f"?idsite={server.site_id}&rec=1&url=https://{server.domain}/ok"
    bad = ["?idsite=abc&rec=1", "?idsite=1&rec=1&url=%zz", 7, f"{good}&e_c=only"]
    status, _, body = await _bulk(server, {"requests": [good, *bad, good]})
    await server.flush()
    assert status == 200
    assert orjson.loads(body) == {"status": "success", "tracked": 2, "invalid": 4}
    assert len(await server.rows()) == 2
    status, _, body = await _bulk(server, {"requests": [*bad, good], "token_auth": "test-token"})
    assert status == 200
    assert orjson.loads(body) == {
        "status": "success",
        "tracked": 1,
        "invalid": 4,
        "invalid_indices": [0, 1, 2, 3],
    }


async def test_bulk_takes_requests_as_objects_and_send_image_0_answers_204(
    server: Running,
) -> None:
    params = {"idsite": server.site_id, "rec": 1, "url": f"https://{server.domain}/obj"}
    status, _, body = await _bulk(server, {"requests": [params, {"idsite": [1]}], "send_image": 0})
    await server.flush()
    assert (status, body) == (204, b"")
    [row] = await server.rows()
    assert row["url"] == f"https://{server.domain}/obj"


async def test_actions_are_classified(server: Running) -> None:
    page = f"https://{server.domain}/page"
    for extra in (
        {"download": f"https://{server.domain}/file.pdf"},
        {"link": "https://elsewhere.example/"},
        {"search": "opening hours", "search_count": 3},
        {"e_c": "Video", "e_a": "play", "e_n": "intro", "e_v": "1.5"},
        {"ping": 1},
    ):
        status, _, _ = await server.get(
            "/matomo.php", server.hit_params(url=page, **extra), cookies=CONSENT
        )
        assert status == 200
    await server.flush()
    rows = {r["action"]: r for r in await server.rows()}
    assert set(rows) == {"download", "outlink", "search", "event", "ping"}
    assert rows["download"]["target_url"] == f"https://{server.domain}/file.pdf"
    assert rows["search"]["search_keyword"] == "opening hours"
    assert rows["search"]["search_count"] == 3
    assert (rows["event"]["event_category"], rows["event"]["event_value"]) == ("Video", 1.5)


async def test_unknown_site_is_rejected(server: Running) -> None:
    status, _, body = await server.get(
        "/matomo.php", server.hit_params(idsite=999999), cookies=CONSENT
    )
    assert status == 400
    assert b"unknown idsite" in body


async def test_url_on_a_foreign_domain_is_rejected_subdomain_accepted(server: Running) -> None:
    status, _, body = await server.get(
        "/matomo.php", server.hit_params(url="https://evil.example/"), cookies=CONSENT
    )
    assert status == 400
    assert b"domain" in body
    status, _, _ = await server.get(
        "/matomo.php", server.hit_params(url=f"https://www.{server.domain}/"), cookies=CONSENT
    )
    await server.flush()
    assert status == 200
    assert len(await server.rows()) == 1


async def test_malformed_input_gets_a_clear_4xx_and_nothing_is_stored(server: Running) -> None:
    base = f"{server.base}/matomo.php?idsite={server.site_id}&rec=1"
    page = f"url=https://{server.domain}/"
    cases = {
        f"{base}&{page}&action_name=%zz": b"percent-encoding",
        f"{base}&{page}&action_name=%ff%fe": b"UTF-8",
        f"{base}&{page}&action_name=a%00b": b"NUL",
        f"{server.base}/matomo.php?idsite=abc&rec=1&{page}": b"idsite",
        f"{server.base}/matomo.php?idsite=-1&rec=1&{page}": b"idsite",
        f"{base}&{page}&pf_net=fast": b"pf_net",
        f"{base}&{page}&pf_onl=-5": b"pf_onl",
        f"{base}&{page}&idgoal=0&revenue=lots": b"revenue",
        f"{base}&{page}&idgoal=0&ec_items=%5B1": b"ec_items",
        f"{base}&{page}&idgoal=424242": b"idgoal",
        f"{base}&{page}&urlref=no-scheme": b"urlref",
        f"{base}&{page}&e_c=only-category": b"e_a",
        f"{base}&{page}&e_c=c&e_a=a&e_v=nan": b"e_v",
        f"{base}&{page}&cdt=yesterday": b"cdt",
        f"{base}&url=javascript:alert(1)": b"url",
        f"{server.base}/matomo.php?idsite={server.site_id}&{page}": b"rec=1",
    }
    for url, reason in cases.items():
        status, _, body = await request("GET", url, cookies=CONSENT)
        assert 400 <= status < 500, url
        assert reason in body, (url, body)
    for body in (b"{not json", b'{"requests": "x"}', b'{"requests": []}'):
        status, _, _ = await request(
            "POST", server.base + "/matomo.php", cookies=CONSENT, data=body
        )
        assert status == 400, body
    status, _, _ = await request(
        "POST", server.base + "/matomo.php", cookies=CONSENT, data=b"\xff\xfe=1"
    )
    assert status == 400
    await server.flush()
    assert await server.rows() == []


async def test_oversized_bulk_and_body_are_refused(server: Running) -> None:
    one = f"?idsite={server.site_id}&rec=1&url=https://{server.domain}/"
    too_many = orjson.dumps({"requests": [one] * (server.settings.bulk_max_requests + 1)})
    status, _, _ = await request(
        "POST", server.base + "/matomo.php", cookies=CONSENT, data=too_many
    )
    assert status == 413
    huge = b"{" + b" " * (server.settings.max_body_bytes + 10) + b"}"
    status, _, _ = await request("POST", server.base + "/matomo.php", cookies=CONSENT, data=huge)
    assert status == 413
    await server.flush()
    assert await server.rows() == []


async def test_cdt_up_to_24_hours_old_needs_no_token_as_in_matomo(server: Running) -> None:
    recent = int((server.clock.now - timedelta(hours=23)).timestamp())
    status, _, _ = await server.get("/matomo.php", server.hit_params(cdt=recent), cookies=CONSENT)
    await server.flush()
    assert status == 200
    [row] = await server.rows()
    assert row["ts"].timestamp() == recent


async def test_old_cdt_needs_token_auth(server: Running) -> None:
    old = int((server.clock.now - timedelta(hours=25)).timestamp())
    status, _, _ = await server.get("/matomo.php", server.hit_params(cdt=old), cookies=CONSENT)
    assert status == 403
    status, _, _ = await server.get(
        "/matomo.php", server.hit_params(cdt=old, token_auth="wrong"), cookies=CONSENT
    )
    assert status == 403
    status, _, _ = await server.get(
        "/matomo.php", server.hit_params(cdt=old, token_auth="test-token"), cookies=CONSENT
    )
    await server.flush()
    assert status == 200
    [row] = await server.rows()
    assert row["ts"].timestamp() == old


async def test_matomo_persistent_ids_are_accepted_but_never_stored(server: Running) -> None:
    marks = {
        "_id": "a1b2c3d4e5f60718",
        "uid": "uid-mark-7781",
        "cid": "c1d2e3f4a5b6c7d8",
        "_idts": "1600000123",
        "_idvc": "919293",
        "_viewts": "1600000456",
        "_ref": "https://ref-mark.example/",
    }
    status, _, _ = await server.get("/matomo.php", server.hit_params(**marks), cookies=CONSENT)
    await server.flush()
    assert status == 200
    assert len(await server.rows()) == 1
    dump = await dump_database(server.pool)
    for value in marks.values():
        assert value not in dump


async def test_bots_are_dropped_and_counted_by_kind(server: Running) -> None:
    metrics = server.app[METRICS]
    before = (metrics.value("hits_dropped", "bot"), metrics.value("bots_dropped", "search"))
    status, _, body = await server.get(
        "/matomo.php",
        server.hit_params(),
        cookies=CONSENT,
        headers={
            "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        },
    )
    await server.flush()
    assert (status, body) == (200, GIF)
    assert await server.rows() == []
    after = (metrics.value("hits_dropped", "bot"), metrics.value("bots_dropped", "search"))
    assert after == (before[0] + 1, before[1] + 1)

"""POST /optin and /optout over real sockets: same-site only, cookies, receipts, at once."""

from __future__ import annotations

import ipaddress
import uuid

import orjson
import pytest

from tests.privacy.conftest import Jar, send, site_origin
from tests.support import CHROME_UA, Running, running_app, settings_for

JSON = {"Accept": "application/json"}


def from_site(server: Running, **extra: str) -> dict[str, str]:
    return {"Origin": site_origin(server), **extra}


async def receipts(server: Running) -> list[dict]:
    rows = await server.rows(
        "SELECT * FROM consent_receipts WHERE site_id = $1 ORDER BY ts", server.site_id
    )
    return [dict(r) for r in rows]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://site.example.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/page"},
        {},
    ],
    ids=["foreign-origin", "null-origin", "lookalike", "fetch-site", "referer", "no-source"],
)
async def test_cross_site_opt_in_is_refused_and_sets_nothing(
    server: Running, headers: dict[str, str]
) -> None:
    answer = await send("POST", server.base + "/optin", headers={**headers, **JSON})
    assert answer.status == 403
    assert answer.set_cookies == []
    assert await receipts(server) == []
    assert "cross-site" in orjson.loads(answer.body)["error"]


@pytest.mark.parametrize("path", ["/optin", "/optout"])
async def test_a_configured_site_on_another_site_than_the_collector_gets_no_false_receipt(
    server: Running, path: str
) -> None:
    # The browser says cross-site: its SameSite=Lax cookies would neither be kept from this
    # answer nor sent with the page's hits. A receipt would prove a choice that cannot work.
    answer = await send(
        "POST",
        server.base + path,
        headers=from_site(server, **{"Sec-Fetch-Site": "cross-site"}, **JSON),
    )
    assert answer.status == 403
    assert "cross-site" in orjson.loads(answer.body)["error"]
    assert answer.headers["Access-Control-Allow-Origin"] == site_origin(server)  # readable
    assert answer.set_cookies == []
    assert await receipts(server) == []


async def test_cross_site_opt_out_is_refused_too(server: Running) -> None:
    answer = await send("POST", server.base + "/optout", headers={"Origin": "https://evil.example"})
    assert answer.status == 403
    assert answer.set_cookies == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://www.{domain}"},
        {"Origin": "http://{domain}:8080"},
        {"Origin": "{base}"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
    ids=["site-subdomain", "site-other-port", "own-origin", "fetch-site"],
)
async def test_same_site_opt_in_is_accepted(server: Running, headers: dict[str, str]) -> None:
    filled = {k: v.format(domain=server.domain, base=server.base) for k, v in headers.items()}
    answer = await send(
        "POST", server.base + "/optin", headers={**filled, **JSON}, data={"idsite": server.site_id}
    )
    assert answer.status == 200
    body = orjson.loads(answer.body)
    assert body["consent"] is True and body["choice"] == "optin"
    assert answer.cookie("collector_consent")["collector_consent"].value == body["receipt_id"]


async def test_opt_in_cookie_lasts_a_year_with_lax_path_and_no_secure_over_http(
    server: Running,
) -> None:
    answer = await send("POST", server.base + "/optin", headers=from_site(server, **JSON))
    morsel = answer.cookie("collector_consent")["collector_consent"]
    assert morsel["max-age"] == "31536000"
    assert morsel["path"] == "/"
    assert morsel["samesite"] == "Lax"
    assert not morsel["secure"] and not morsel["domain"]
    assert uuid.UUID(hex=morsel.value)
    assert answer.headers["Cache-Control"] == "no-store"


async def test_consent_cookie_is_secure_over_https_and_takes_the_cookie_domain(
    database_url: str,
) -> None:
    settings = settings_for(
        database_url,
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
        cookie_domain="city.example",
    )
    async with running_app(settings) as running:
        running.site_id = await running.add_site("City", "city.example")
        answer = await send(
            "POST",
            running.base + "/optin",
            headers={"Origin": "https://www.city.example", "X-Forwarded-Proto": "https", **JSON},
        )
    morsel = answer.cookie("collector_consent")["collector_consent"]
    assert morsel["secure"] is True
    assert morsel["domain"] == "city.example"


async def test_form_post_redirects_back_to_the_page_or_to_a_site_return_to(
    server: Running,
) -> None:
    back = await send(
        "POST",
        server.base + "/optout",
        headers={"Origin": server.base},
        data={"lang": "de", "embed": "1", "idsite": str(server.site_id)},
    )
    assert back.status == 303
    assert back.headers["Location"] == f"optout?lang=de&embed=1&idsite={server.site_id}"
    target = f"https://www.{server.domain}/datenschutz?x=1"
    away = await send(
        "POST", server.base + "/optin", headers={"Origin": server.base}, data={"return_to": target}
    )
    assert (away.status, away.headers["Location"]) == (303, target)


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/",
        "//evil.example/",
        "https://evil.example\\@{domain}/",
        "https://{domain}@evil.example/",
        "https://{domain}.evil.example/",
        "javascript:alert(1)//{domain}",
        "/relative/path",
    ],
)
async def test_return_to_a_foreign_host_is_refused(server: Running, return_to: str) -> None:
    answer = await send(
        "POST",
        server.base + "/optout",
        headers={"Origin": server.base},
        data={"return_to": return_to.format(domain=server.domain)},
    )
    assert answer.status == 400
    assert "Location" not in answer.headers
    assert answer.set_cookies == []


async def test_receipts_record_choice_time_policy_and_site_but_no_ip_or_agent(
    database_url: str,
) -> None:
    async with running_app(settings_for(database_url, policy_version="2026-11")) as server:
        server.domain = f"receipts-{uuid.uuid4().hex[:8]}.example"
        server.site_id = await server.add_site("Receipts", server.domain)
        await _receipts_record_choice_time_policy_and_site(server)


async def _receipts_record_choice_time_policy_and_site(server: Running) -> None:
    opt_in = await send("POST", server.base + "/optin", headers=from_site(server, **JSON))
    opt_out = await send("POST", server.base + "/optout", headers=from_site(server, **JSON))
    rows = await receipts(server)
    assert [(r["choice"], r["policy_version"], r["ts"]) for r in rows] == [
        ("optin", "2026-11", server.clock.now),
        ("optout", "2026-11", server.clock.now),
    ]
    assert [r["receipt_id"].hex for r in rows] == [
        orjson.loads(opt_in.body)["receipt_id"],
        orjson.loads(opt_out.body)["receipt_id"],
    ]
    assert set(rows[0]) == {"site_id", "receipt_id", "ts", "choice", "policy_version"}
    # The receipts table, not the whole database: other tests' sites may own 127.0.0.1.
    async with server.pool.acquire() as conn:
        dump = "\n".join(
            r["row"] for r in await conn.fetch("SELECT t::text AS row FROM consent_receipts t")
        )
    assert dump and "127.0.0.1" not in dump and CHROME_UA not in dump


async def test_opt_out_clears_consent_cookies_and_holds_its_receipt(server: Running) -> None:
    answer = await send("POST", server.base + "/optout", headers=from_site(server, **JSON))
    for name in ("collector_consent", "mtm_consent"):
        assert answer.cookie(name)[name]["max-age"] == "0"
        assert answer.cookie(name)[name].value == ""
    body = orjson.loads(answer.body)
    assert body["consent"] is False
    assert answer.cookie("collector_optout")["collector_optout"].value == body["receipt_id"]


async def test_a_hit_right_after_opt_out_is_not_kept(server: Running) -> None:
    jar = Jar()
    jar.take(await send("POST", server.base + "/optin", headers=from_site(server)))
    await server.get("/matomo.php", server.hit_params(action_name="before"), cookies=jar.values)
    jar.take(await send("POST", server.base + "/optout", headers=from_site(server)))
    assert "collector_consent" not in jar.values
    await server.get("/matomo.php", server.hit_params(action_name="after"), cookies=jar.values)
    # Matomo's own consent cookie on a path or domain this answer could not clear
    jar.values["mtm_consent"] = "1732000000"
    await server.get("/matomo.php", server.hit_params(action_name="after"), cookies=jar.values)
    await server.flush()
    assert [r["title"] for r in await server.rows()] == ["before"]


async def test_opting_in_again_lifts_the_opt_out(server: Running) -> None:
    jar = Jar()
    jar.take(await send("POST", server.base + "/optout", headers=from_site(server)))
    jar.take(await send("POST", server.base + "/optin", headers=from_site(server)))
    assert "collector_optout" not in jar.values
    await server.get("/matomo.php", server.hit_params(), cookies=jar.values)
    await server.flush()
    assert len(await server.rows()) == 1


async def test_preflight_allows_a_configured_site_only(server: Running) -> None:
    ok = await send("OPTIONS", server.base + "/optin", headers=from_site(server))
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == site_origin(server)
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    bad = await send("OPTIONS", server.base + "/optin", headers={"Origin": "https://evil.example"})
    assert bad.status == 403 and "Access-Control-Allow-Origin" not in bad.headers

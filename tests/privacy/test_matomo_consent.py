"""Consent Matomo's tracker understands: the switches write Matomo's own cookies as matomo.js
writes them (js/piwik.js: rememberConsentGiven, forgetConsentGiven), `collector_consent` always
counts, `mtm_cookie_consent` (requireCookieConsent) counts by default, and an opt-out ends the
session so that visits on both sides of it are not linked."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from tests.privacy.conftest import Jar, send, site_origin
from tests.support import Running, running_app, settings_for

YEAR = str(365 * 24 * 3600)


def from_site(server: Running) -> dict[str, str]:
    return {"Origin": site_origin(server)}


@pytest.fixture
async def cms_server(database_url: str) -> AsyncIterator[Running]:
    """A city's CMS cookie as the only configured consent cookie (ikiss-tracking-on)."""
    settings = settings_for(database_url, consent_cookies=("ikiss-tracking-on",))
    async with running_app(settings) as running:
        running.domain = f"cms-{secrets.token_hex(4)}.example"
        running.site_id = await running.add_site("CMS site", running.domain)
        yield running


async def kept(server: Running, cookies: dict[str, str], title: str) -> bool:
    status, _, _ = await server.get(
        "/matomo.php", server.hit_params(action_name=title), cookies=cookies
    )
    assert status == 200
    await server.flush()
    titles = [r["title"] for r in await server.rows()]
    return title in titles


async def test_opt_in_sets_mtm_consent_as_matomo_js_writes_it_and_clears_its_removal(
    server: Running,
) -> None:
    answer = await send("POST", server.base + "/optin", headers=from_site(server))
    morsel = answer.cookie("mtm_consent")["mtm_consent"]
    # rememberConsentGiven: setCookie(CONSENT_COOKIE_NAME, new Date().getTime(), …)
    assert morsel.value.isdigit()
    assert abs(int(morsel.value) - server.clock.now.timestamp() * 1000) < 1000
    assert (morsel["path"], morsel["max-age"], morsel["httponly"]) == ("/", YEAR, "")
    removed = answer.cookie("mtm_consent_removed")["mtm_consent_removed"]
    assert (removed.value, removed["max-age"]) == ("", "0")


async def test_opt_out_sets_mtm_consent_removed_and_expires_every_consent_cookie_and_the_session(
    cms_server: Running,
) -> None:
    answer = await send("POST", cms_server.base + "/optout", headers=from_site(cms_server))
    for name in (
        "collector_consent",
        "mtm_consent",
        "mtm_cookie_consent",
        "ikiss-tracking-on",
        "collector_session",
    ):
        morsel = answer.cookie(name)[name]
        assert (morsel.value, morsel["max-age"]) == ("", "0"), name
    removed = answer.cookie("mtm_consent_removed")["mtm_consent_removed"]
    # forgetConsentGiven: setCookie(CONSENT_REMOVED_COOKIE_NAME, new Date().getTime(), …)
    assert removed.value.isdigit() and removed["max-age"] == YEAR


async def test_collector_consent_counts_whatever_consent_cookies_adds(
    cms_server: Running,
) -> None:
    jar = Jar()
    jar.take(await send("POST", cms_server.base + "/optin", headers=from_site(cms_server)))
    assert await kept(cms_server, {"collector_consent": jar.values["collector_consent"]}, "ours")
    assert await kept(cms_server, {"ikiss-tracking-on": "1"}, "cms")
    assert not await kept(cms_server, {"mtm_consent": "1732000000000"}, "not configured")


async def test_mtm_cookie_consent_counts_by_default(server: Running) -> None:
    # requireCookieConsent + rememberCookieConsentGiven: matomo.js sends anyway, with this
    assert await kept(server, {"mtm_cookie_consent": "1732000000000"}, "cookie consent")


async def test_mtm_consent_removed_vetoes_every_consent_cookie(server: Running) -> None:
    # forgetConsentGiven on a page: matomo.js itself lets the removal override mtm_consent
    vetoed = {"collector_consent": "yes", "mtm_consent_removed": "1732000000000"}
    assert not await kept(server, vetoed, "after forgetConsentGiven")


async def test_visits_before_an_opt_out_and_after_a_later_opt_in_are_not_linked(
    server: Running,
) -> None:
    jar = Jar()
    jar.take(await send("POST", server.base + "/optin", headers=from_site(server)))
    _, headers, _ = await server.get(
        "/matomo.php", server.hit_params(action_name="before"), cookies=jar.values
    )
    jar.values["collector_session"] = headers["Set-Cookie"].split(";")[0].partition("=")[2]
    jar.take(await send("POST", server.base + "/optout", headers=from_site(server)))
    assert "collector_session" not in jar.values
    jar.take(await send("POST", server.base + "/optin", headers=from_site(server)))
    assert "mtm_consent_removed" not in jar.values
    await server.get("/matomo.php", server.hit_params(action_name="after"), cookies=jar.values)
    await server.flush()
    sessions = {r["title"]: r["session_id"] for r in await server.rows()}
    assert set(sessions) == {"before", "after"} and sessions["before"] != sessions["after"]

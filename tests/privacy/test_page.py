"""GET /optout over a real socket: language, state, embedding, headers. (Browser: test_browser.)"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from collector.config import Settings
from collector.privacy.page import State, choose_language, consent_state
from tests.privacy.conftest import send
from tests.support import CONSENT, Running


@pytest.mark.parametrize(
    ("asked", "accept", "lang"),
    [
        ("de", "en", "de"),
        ("en", "de", "en"),
        ("fr", "de-DE,de;q=0.9,en;q=0.8", "de"),
        (None, "fr-FR, en;q=0.5, de;q=0.4", "en"),
        (None, "de;q=0.2, en;q=0.9", "en"),
        (None, "fr", "en"),
        (None, None, "en"),
    ],
)
def test_language_comes_from_lang_then_accept_language(
    asked: str | None, accept: str | None, lang: str
) -> None:
    assert choose_language(asked, accept) == lang


def test_state_follows_cookies_and_privacy_signals() -> None:
    s = Settings()
    assert consent_state({}, {}, s) is State.OFF
    assert consent_state(CONSENT, {}, s) is State.ON
    assert consent_state(CONSENT, {"Sec-GPC": "1"}, s) is State.SIGNAL
    assert consent_state({**CONSENT, "collector_optout": "ab" * 16}, {}, s) is State.OFF
    assert consent_state(CONSENT, {"DNT": "1"}, Settings(privacy_signals=())) is State.ON


async def page(server: Running, query: str = "", **kw: dict[str, str]) -> tuple[str, dict]:
    answer = await send("GET", server.base + "/optout" + query, **kw)  # type: ignore[arg-type]
    assert answer.status == 200
    return answer.body.decode(), dict(answer.headers)


async def test_page_speaks_german_and_english(server: Running) -> None:
    de, headers = await page(server, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in de and "Statistik einschalten" in de
    assert headers["Content-Language"] == "de"
    en, _ = await page(server, "?lang=en", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in en and "Turn statistics on" in en


async def test_page_shows_state_and_offers_the_one_switch(server: Running) -> None:
    off, _ = await page(server, "?lang=en")
    assert "Statistics are off" in off and 'action="optin"' in off and 'action="optout"' not in off
    on, _ = await page(server, "?lang=en", cookies={"collector_consent": "ab" * 16})
    assert "Statistics are on" in on and 'action="optout"' in on and 'action="optin"' not in on
    assert "ab" * 16 in on  # the receipt the visitor holds


async def test_page_says_statistics_are_off_because_of_a_privacy_signal(server: Running) -> None:
    html, _ = await page(server, "?lang=en", headers={"Sec-GPC": "1"})
    assert "privacy signal (Global Privacy Control)" in html and "<form" not in html
    html, _ = await page(server, "?lang=de", headers={"DNT": "1"}, cookies=CONSENT)
    assert "Datenschutzsignal (Do Not Track)" in html
    assert 'action="optout"' in html  # a stored consent can still be withdrawn


async def test_page_loads_nothing_and_only_sites_may_frame_it(server: Running) -> None:
    html, headers = await page(server, f"?idsite={server.site_id}")
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)
    assert "<script" not in html and "<link" not in html and "<img" not in html
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp and f"https://*.{server.domain}:*" in csp
    assert "X-Frame-Options" not in headers
    assert headers["Cache-Control"] == "no-store"


async def test_embed_drops_the_chrome_and_keeps_the_switch(server: Running) -> None:
    full, _ = await page(server, "?lang=en")
    embed, _ = await page(server, "?lang=en&embed=1")
    assert "<h1>" in full and "<h1>" not in embed and "privacy/me" not in embed
    assert 'name="embed" value="1"' in embed and 'action="optin"' in embed


async def test_page_keeps_a_site_return_to_and_drops_a_foreign_one(server: Running) -> None:
    ok = f"https://www.{server.domain}/privacy?a=1&b=2"
    html, _ = await page(
        server, f"?return_to=https%3A%2F%2Fwww.{server.domain}%2Fprivacy%3Fa%3D1%26b%3D2"
    )
    assert 'name="return_to" value="' + ok.replace("&", "&amp;") + '"' in html
    html, _ = await page(server, "?return_to=https%3A%2F%2Fevil.example%2F%22%3E%3Cscript%3E")
    assert "evil.example" not in html and "<script>" not in html


async def test_naming_the_site_limits_who_may_frame_the_page_to_that_site(server) -> None:
    other = await server.add_site("Other", "other-framer.example")
    _, headers, _ = await server.get("/optout", {"idsite": server.site_id})
    csp = headers["Content-Security-Policy"]
    assert server.domain in csp and "other-framer.example" not in csp
    _, headers, _ = await server.get("/optout", {"idsite": other})
    assert "other-framer.example" in headers["Content-Security-Policy"]


async def test_page_opened_from_a_site_links_back_to_it_without_return_to(
    server: Running,
) -> None:
    came_from = f"https://www.{server.domain}/datenschutz"
    html, _ = await page(server, "?lang=en", headers={"Referer": came_from})
    assert f'<a href="{came_from}">Back to the website</a>' in html
    assert f'name="back" value="{came_from}"' in html  # the switches' redirect keeps it
    again, _ = await page(server, "?lang=en&back=" + quote(came_from, safe=""))
    assert f'<a href="{came_from}">Back to the website</a>' in again
    for referer in ("https://evil.example/", server.base + "/optout?lang=en"):
        html, _ = await page(server, "?lang=en", headers={"Referer": referer})
        assert "Back to the website" not in html, referer
    html, _ = await page(server, "?lang=en&back=https%3A%2F%2Fevil.example%2F")
    assert "Back to the website" not in html and "evil.example" not in html


async def test_a_switch_returns_to_the_page_with_its_back_link(server: Running) -> None:
    came_from = f"https://www.{server.domain}/datenschutz"
    answer = await send(
        "POST",
        server.base + "/optin",
        headers={"Origin": server.base},
        data={"lang": "en", "back": came_from},
    )
    assert answer.status == 303
    assert answer.headers["Location"] == "optout?" + urlencode({"lang": "en", "back": came_from})


async def test_erase_button_is_offered_only_with_a_session_to_erase(server: Running) -> None:
    without, _ = await page(server, "?lang=en")
    assert "privacy/me/erase" not in without
    with_session, _ = await page(server, "?lang=en", cookies={"collector_session": "cd" * 16})
    assert '<form method="post" action="privacy/me/erase">' in with_session
    assert "Erase what this session links" in with_session
    embedded, _ = await page(server, "?embed=1", cookies={"collector_session": "cd" * 16})
    assert "privacy/me/erase" not in embedded  # the iframe keeps only the switch

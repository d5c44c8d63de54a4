"""Bots from the maintained lists (tracking/bots.py): what the issue named, what must stay a
person, and that the literal prefilter finds exactly what trying every pattern finds."""

from __future__ import annotations

import re

import pytest

from collector.tracking import bots
from collector.tracking.bots import KINDS, BotList, bot_list
from collector.tracking.patterns import literals
from tests.tracking.corpora import crawler_instances, device_detector_bots, device_detector_people

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0"


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        (f"{CHROME} Safari/537.36 DatadogSynthetics", "monitoring"),
        (f"{CHROME} Safari/537.36 RuxitSynthetic/1.0 v6834921 t8071834297018392", "monitoring"),
        (f"{CHROME} Safari/537.36 NewRelicSynthetics/1.0", "monitoring"),
        (f"{CHROME} Safari/537.36 Checkly/1.0 (https://www.checklyhq.com)", "monitoring"),
        (f"{CHROME} Safari/537.36 Site24x7", "monitoring"),
        (f"{CHROME} Safari/537.36 Playwright/1.44.0", "automation"),
        (f"{CHROME} Safari/537.36 Selenium", "automation"),
        (f"{CHROME} Cypress/13.6.0 Electron/25.8.4 Safari/537.36", "automation"),
        (
            f"{CHROME} Safari/537.36 Prerender (+https://github.com/prerender/prerender)",
            "automation",
        ),
        (CHROME.replace("Chrome/", "HeadlessChrome/") + " Safari/537.36", "automation"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0", "ai"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0)", "ai"),
        ("Mozilla/5.0 AppleWebKit/537.36 (compatible; Perplexity-User/1.0)", "ai"),
        ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters)", "ai"),
        ("Mozilla/5.0 (compatible; Google-Extended)", "ai"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GoogleOther)", "crawler"),
        ("node", "library"),
        ("undici", "library"),
        ("PostmanRuntime/7.36.0", "library"),
        ("GuzzleHttp/7", "library"),
        ("Go-http-client/1.1", "library"),
        ("python-requests/2.31.0", "library"),
        ("curl/8.5.0", "library"),
        (
            "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            "scanner",
        ),
        ("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)", "scanner"),
        ("sqlmap/1.7.2#stable (https://sqlmap.org)", "scanner"),
        ("Mozilla/5.0 zgrab/0.x", "scanner"),
        ("Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", "scanner"),
        ("FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)", "feed"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview"),
        ("WhatsApp/2.23.20.0 A", "preview"),
        ("APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)", "service"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "search"),
    ],
)
def test_agents_the_old_markers_missed_are_bots_of_their_kind(user_agent: str, kind: str) -> None:
    assert bot_list().kind(user_agent) == kind


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (Linux; Android 9; M bot 51) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/74.0.3729.136 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 8.1.0; VR BOT 552 Build/O11019) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/71.0.3578.99 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 7.0; XBot Junior Build/NRD90M) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/60.0 Safari/537.36",
        "Lynx/2.8.9rel.1 libwww-FM/2.14 SSL-MM/1.4.1 OpenSSL/1.1.1d",
        "WhatsApp/2.18.79 Android/5.1 Device/Meizu-MX5",
        "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
        "WhatsApp/2.24.10.78",
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 9; Redmi Note 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/68.0.3440.106 Mobile Safari/537.36 AWP/2.0 SogouMSE,SogouMobileBrowser/5.28.7",
        f"{CHROME} Safari/537.36",
    ],
)
def test_people_the_old_markers_flagged_are_not_bots(user_agent: str) -> None:
    assert bot_list().kind(user_agent) is None


def test_a_bot_hidden_in_an_android_device_part_is_still_found() -> None:
    ua = (
        "Mozilla/5.0 (Linux; Android 8.0; Pixel 2 Build/OPD3.170816.012; Storebot-Google/1.0) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Mobile Safari/537.36"
    )
    assert bot_list().kind(ua) is not None


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"Googlebot\/", 0, {"googlebot/"}),
        (r"[wW]get", 0, {"wget"}),
        (r"(360Spider(?:-Image|-Video)?)", 0, {"360spider"}),
        (r"-(?:AI|Extended|User)/", re.I, {"-ai/", "-extended/", "-user/"}),
        (r"(?<!cu)bot(?![ _]TAB)|crawl", re.I, {"bot", "crawl"}),
        (r"^node$", 0, {"node"}),
        (r"a|bc", 0, None),  # too short to rule anything out
        (r"x.*y", 0, None),
    ],
)
def test_literals_are_what_every_match_contains(
    pattern: str, flags: int, expected: set[str] | None
) -> None:
    assert literals(pattern, flags) == (frozenset(expected) if expected else None)


def _every_pattern(rules: BotList, user_agent: str) -> str | None:
    """The reference: each pattern tried in order, no prefilter."""
    text = bots._HUMAN.sub("", user_agent)
    for pattern, kind in rules.rules:
        if pattern.search(text):
            return kind
    return None


def test_the_prefilter_finds_what_trying_every_pattern_finds() -> None:
    rules = bot_list()
    people = [f.user_agent for f in device_detector_people()[::40]]  # every 40th: ~900
    sample = [*crawler_instances(), *device_detector_bots(), *people]
    differ = [ua for ua in sample if rules.kind(ua) != _every_pattern(rules, ua)]
    assert differ == []


def test_every_kind_is_a_declared_label() -> None:
    kinds = {kind for _, kind in bot_list().rules}
    assert kinds <= set(KINDS)
    assert len(bot_list()) > 2000  # both lists were read

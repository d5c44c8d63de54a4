"""User agent, referrer and campaign enrichment: pure functions, tested without a server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.tracking import enrich
from collector.tracking.enrich import (
    AGENT_CACHE_SIZE,
    Agent,
    Campaign,
    bot_kind,
    classify_referrer,
    extract_campaign,
    parse_agent,
    strip_url,
    url_path,
)

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/124.0.2478.51"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAMSUNG_INTERNET = (
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
KINDLE_FIRE = (
    "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/124.2.3 like Chrome/124.0.6367.118 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.91 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.0.0 Safari/537.36"
)
LIGHTHOUSE = CHROME_ANDROID_PHONE + " Chrome-Lighthouse"


# --- user agents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "browser", "os"),
    [
        (CHROME_WINDOWS, "Chrome", "Windows"),
        (FIREFOX_WINDOWS, "Firefox", "Windows"),
        (SAFARI_MAC, "Safari", "Mac OS X"),
        (EDGE_WINDOWS, "Edge", "Windows"),
    ],
)
def test_desktop_browsers_are_desktop_not_bots(user_agent: str, browser: str, os: str) -> None:
    agent = parse_agent(user_agent)
    assert agent.browser == browser
    assert agent.os == os
    assert agent.device == "desktop"
    assert not agent.is_bot


def test_browser_version_is_the_major_version_only() -> None:
    assert parse_agent(CHROME_WINDOWS).browser_version == "124"
    assert parse_agent(EDGE_WINDOWS).browser_version == "124"
    assert parse_agent(SAFARI_MAC).browser_version == "17"


def test_iphone_safari_is_mobile_not_bot() -> None:
    assert parse_agent(SAFARI_IPHONE) == Agent(
        browser="Mobile Safari", browser_version="17", os="iOS", device="mobile", is_bot=False
    )


def test_ipad_is_tablet_although_it_says_mobile() -> None:
    agent = parse_agent(SAFARI_IPAD)
    assert agent.device == "tablet"
    assert not agent.is_bot


def test_android_phone_is_mobile() -> None:
    agent = parse_agent(CHROME_ANDROID_PHONE)
    assert (agent.browser, agent.os, agent.device, agent.is_bot) == (
        "Chrome Mobile",
        "Android",
        "mobile",
        False,
    )


def test_android_without_mobile_is_tablet() -> None:
    agent = parse_agent(CHROME_ANDROID_TABLET)
    assert agent.device == "tablet"
    assert not agent.is_bot


def test_kindle_silk_is_tablet() -> None:
    assert parse_agent(KINDLE_FIRE).device == "tablet"


def test_firefox_android_tablet_token_is_tablet() -> None:
    ua = "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0"
    assert parse_agent(ua).device == "tablet"


def test_samsung_internet_is_mobile_not_bot() -> None:
    agent = parse_agent(SAMSUNG_INTERNET)
    assert agent.browser == "Samsung Internet"
    assert agent.device == "mobile"
    assert not agent.is_bot


def test_cubot_phone_is_not_a_bot() -> None:
    agent = parse_agent(CUBOT_PHONE)
    assert agent.device == "mobile"
    assert not agent.is_bot


def test_android_in_app_browser_naming_android_after_mobile_is_mobile() -> None:
    ua = (
        "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
        "Instagram 329.0.0.41.93 Android"
    )
    assert parse_agent(ua).device == "mobile"


def test_opera_mini_on_android_is_mobile() -> None:
    ua = "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16"
    assert parse_agent(ua).device == "mobile"


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param(GOOGLEBOT, id="googlebot"),
        pytest.param(GOOGLEBOT_SMARTPHONE, id="googlebot-smartphone"),
        pytest.param(BINGBOT, id="bingbot"),
        pytest.param(HEADLESS_CHROME, id="headless-chrome"),
        pytest.param(LIGHTHOUSE, id="lighthouse"),
        pytest.param("curl/8.5.0", id="curl"),
        pytest.param("python-requests/2.31.0", id="python-requests"),
        pytest.param("Wget/1.21.4", id="wget"),
        pytest.param("Go-http-client/1.1", id="go"),
        pytest.param("UptimeRobot/2.0; http://www.uptimerobot.com/", id="uptimerobot"),
        pytest.param("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", id="pingdom"),
        pytest.param(
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            id="facebook-preview",
        ),
        pytest.param("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)"),
    ],
)
def test_crawlers_monitors_and_scripts_are_bots(user_agent: str) -> None:
    agent = parse_agent(user_agent)
    assert agent.is_bot
    assert agent.device == "bot"


def test_googlebot_is_a_bot() -> None:
    agent = parse_agent(GOOGLEBOT)
    assert agent.is_bot
    assert agent.browser == "Googlebot"


def test_googlebot_smartphone_is_a_bot_not_a_mobile() -> None:
    assert parse_agent(GOOGLEBOT_SMARTPHONE).device == "bot"


@pytest.mark.parametrize("user_agent", ["", "   "])
def test_empty_user_agent_is_a_bot(user_agent: str) -> None:
    assert parse_agent(user_agent) == Agent(
        browser=None, browser_version=None, os=None, device="bot", is_bot=True, bot="other"
    )


def test_unknown_user_agent_has_no_browser_and_is_desktop() -> None:
    agent = parse_agent("SomethingNobodyKnows")
    assert (agent.browser, agent.browser_version, agent.os) == (None, None, None)
    assert agent.device == "desktop"
    assert not agent.is_bot


def test_undecodable_header_bytes_do_not_break_parsing() -> None:
    # aiohttp hands undecodable bytes over as lone surrogates
    agent = parse_agent(CHROME_WINDOWS + " \udcff\udcfe")
    assert agent.browser == "Chrome"


def test_overlong_user_agent_is_cached_under_its_first_512_characters() -> None:
    padding = "x" * 10_000
    first = parse_agent(CHROME_WINDOWS + padding)
    second = parse_agent(CHROME_WINDOWS + padding + "different tail")
    assert first is second  # same cache entry
    assert first.browser == "Chrome"


def test_agent_cache_is_bounded() -> None:
    info = enrich._parse_agent.cache_info()
    assert info.maxsize == AGENT_CACHE_SIZE
    for i in range(AGENT_CACHE_SIZE + 100):
        parse_agent(f"probe/{i}")
    assert enrich._parse_agent.cache_info().currsize <= AGENT_CACHE_SIZE


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_parse_agent_never_raises_for_arbitrary_text(user_agent: str) -> None:
    agent = parse_agent(user_agent)
    assert agent.device in {"desktop", "mobile", "tablet", "bot"}
    assert agent.is_bot == (agent.device == "bot")
    assert (agent.bot is not None) == agent.is_bot == (bot_kind(user_agent) is not None)


# --- referrers ---------------------------------------------------------------------------

SITE = ("example.org",)


@pytest.mark.parametrize(
    ("referrer", "name"),
    [
        ("https://www.google.de/", "Google"),
        ("https://www.google.co.uk/search?q=x", "Google"),
        ("https://google.com.br/", "Google"),
        ("https://duckduckgo.com/", "DuckDuckGo"),
        ("https://www.bing.com/search?q=x", "Bing"),
        ("https://www.ecosia.org/search?q=x", "Ecosia"),
        ("https://de.search.yahoo.com/", "Yahoo"),
        ("https://search.brave.com/search?q=x", "Brave Search"),
        ("https://suche.t-online.de/", "T-Online"),
        ("https://WWW.GOOGLE.DE/", "Google"),
    ],
)
def test_search_engines_are_search(referrer: str, name: str) -> None:
    assert classify_referrer(referrer, SITE, None) == ("search", name)


@pytest.mark.parametrize(
    ("referrer", "name"),
    [
        ("https://www.facebook.com/", "Facebook"),
        ("https://m.facebook.com/", "Facebook"),
        ("https://l.facebook.com/l.php?u=x", "Facebook"),
        ("https://t.co/abc", "Twitter"),
        ("https://x.com/someone", "Twitter"),
        ("https://www.linkedin.com/feed/", "LinkedIn"),
        ("https://lnkd.in/abc", "LinkedIn"),
        ("https://mastodon.social/@someone", "Mastodon"),
        ("https://www.pinterest.de/", "Pinterest"),
    ],
)
def test_social_networks_are_social(referrer: str, name: str) -> None:
    assert classify_referrer(referrer, SITE, None) == ("social", name)


def test_google_service_that_is_not_search_is_a_website() -> None:
    assert classify_referrer("https://mail.google.com/", SITE, None) == (
        "website",
        "mail.google.com",
    )


@pytest.mark.parametrize("referrer", [None, "", "not a url", "about:blank", "http://[::1"])
def test_missing_or_unparseable_referrer_is_direct(referrer: str | None) -> None:
    assert classify_referrer(referrer, SITE, None) == ("direct", None)


@pytest.mark.parametrize(
    "referrer",
    [
        "https://example.org/page",
        "https://www.example.org/",
        "https://EXAMPLE.ORG./",
        "https://blog.example.org/post",
        "http://example.org:8080/",
    ],
)
def test_own_domain_and_subdomains_are_direct(referrer: str) -> None:
    assert classify_referrer(referrer, SITE, None) == ("direct", None)


def test_site_domains_are_matched_leniently() -> None:
    domains = ["WWW.Example.ORG", "*.example.net"]
    assert classify_referrer("https://example.org/", domains, None) == ("direct", None)
    assert classify_referrer("https://a.example.net/", domains, None) == ("direct", None)


def test_lookalike_domain_is_not_own() -> None:
    assert classify_referrer("https://notexample.org/", SITE, None) == (
        "website",
        "notexample.org",
    )


def test_foreign_website_is_named_by_host_without_www() -> None:
    assert classify_referrer("https://www.Zeitung.de/artikel?id=1", SITE, None) == (
        "website",
        "zeitung.de",
    )


def test_campaign_takes_precedence_over_referrer() -> None:
    campaign = extract_campaign("https://example.org/?mtm_campaign=Spring")
    assert classify_referrer("https://www.google.de/", SITE, campaign) == ("campaign", "spring")


# --- campaigns ---------------------------------------------------------------------------


def test_url_without_campaign_has_none() -> None:
    assert extract_campaign("https://example.org/page?utm_source=news") is None
    assert extract_campaign("https://example.org/") is None


def test_mtm_parameters() -> None:
    url = (
        "https://example.org/?mtm_campaign=Spring&mtm_source=newsletter&mtm_medium=email"
        "&mtm_keyword=parks&mtm_content=top"
    )
    assert extract_campaign(url) == Campaign("spring", "newsletter", "email", "parks", "top")


def test_mtm_kwd_and_matomo_campaign_are_accepted() -> None:
    assert extract_campaign("/?matomo_campaign=a&mtm_kwd=k") == Campaign("a", None, None, "k", None)


def test_pk_parameters() -> None:
    url = "/?pk_campaign=Summer&pk_source=s&pk_medium=m&pk_keyword=k&pk_content=c"
    assert extract_campaign(url) == Campaign("summer", "s", "m", "k", "c")


def test_legacy_pk_cpn_and_pk_kwd() -> None:
    assert extract_campaign("/?pk_cpn=Old&pk_kwd=k") == Campaign("old", None, None, "k", None)


def test_utm_parameters() -> None:
    url = "/?utm_campaign=Autumn&utm_source=s&utm_medium=m&utm_term=k&utm_content=c"
    assert extract_campaign(url) == Campaign("autumn", "s", "m", "k", "c")


def test_mtm_beats_pk_beats_utm() -> None:
    assert extract_campaign("/?utm_campaign=u&pk_campaign=p&mtm_campaign=m").name == "m"
    assert extract_campaign("/?utm_campaign=u&pk_campaign=p").name == "p"


def test_priority_is_per_field() -> None:
    campaign = extract_campaign("/?mtm_campaign=m&utm_source=u&pk_source=p&utm_medium=email")
    assert campaign == Campaign("m", "p", "email", None, None)


def test_campaign_in_fragment() -> None:
    assert extract_campaign("https://example.org/#mtm_campaign=Hash").name == "hash"
    assert extract_campaign("https://example.org/#/route?pk_campaign=Spa").name == "spa"


def test_campaign_values_lose_the_nul_their_second_decoding_makes() -> None:
    # the page URL's query is decoded once more here: %00 in it is a NUL no parameter held
    url = "https://example.org/?mtm_campaign=spr%00ing&mtm_source=%00&utm_medium=%00e%00"
    assert extract_campaign(url) == Campaign("spring", None, "e", None, None)


def test_query_campaign_beats_fragment_campaign() -> None:
    assert extract_campaign("/?mtm_campaign=query#mtm_campaign=fragment").name == "query"


def test_campaign_values_are_decoded_trimmed_and_capped() -> None:
    campaign = extract_campaign(f"/?utm_campaign=Big+Sale%21&utm_source=%20+{'s' * 300}")
    assert campaign is not None
    assert campaign.name == "big sale!"
    assert campaign.source == "s" * 255


def test_blank_campaign_name_is_no_campaign() -> None:
    assert extract_campaign("/?mtm_campaign=&utm_campaign=+") is None


# --- URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stripped"),
    [
        ("https://example.org/a/b?q=secret#frag", "https://example.org/a/b"),
        ("https://example.org/a#frag?x=1", "https://example.org/a"),
        ("https://example.org", "https://example.org"),
        ("https://user:pw@example.org/a?x", "https://example.org/a"),
        ("/relative?x=1", "/relative"),
        ("", ""),
    ],
)
def test_strip_url_drops_query_fragment_and_credentials(url: str, stripped: str) -> None:
    assert strip_url(url) == stripped


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://example.org/a/b?q=1#f", "/a/b"),
        ("https://example.org", "/"),
        ("https://example.org?q=1", "/"),
        ("https://example.org/", "/"),
        ("/only/path?x", "/only/path"),
        ("http://[::1/broken", "/broken"),
    ],
)
def test_url_path_is_path_only(url: str, path: str) -> None:
    assert url_path(url) == path


# --- the maintained referrer list ----------------------------------------------------------


@pytest.mark.parametrize(
    ("referrer", "ref_type", "name"),
    [
        ("https://vk.com/away.php", "social", "Vkontakte"),
        ("https://www.xing.com/", "social", "XING"),  # our table's name wins
        ("https://images.google.com/", "search", "Google Images"),
        ("https://www.abacho.de/", "search", "Abacho"),
        ("https://m.bing.com/search?q=x", "search", "Bing"),
        ("https://www.youtube.com/", "social", "YouTube"),
    ],
)
def test_hosts_of_the_maintained_list_are_search_engines_and_social_networks(
    referrer: str, ref_type: str, name: str
) -> None:
    assert classify_referrer(referrer, SITE, None) == (ref_type, name)


def test_the_lists_hosts_match_exactly_not_their_subdomains() -> None:
    # "abacho.de" is a search engine; a subdomain of it the list does not name is not
    assert classify_referrer("https://mail.abacho.de/", SITE, None) == ("website", "mail.abacho.de")


def test_the_shipped_list_is_what_the_pinned_package_makes() -> None:
    script = Path(__file__).parent.parent.parent / "scripts" / "update-referrer-hosts"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr

"""What a hit is grouped by in reports: browser, device, bot or not (bots.py), referrer,
campaign.

Pure functions, no I/O. `parse_agent` is cached: a site's visitors share few distinct
user agents, and the cache is bounded in entries and in key length so that no client can
grow it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from ua_parser import Domain, load_lazy_builtins
from ua_parser.regex import Resolver

from collector.tracking.bots import bot_list
from collector.tracking.devices import NO_HINTS, Hints, device_type
from collector.tracking.referrers import search_engine, social_network

AGENT_CACHE_SIZE = 4096
MAX_AGENT_LENGTH = 512  # real user agents stay under ~300 characters; the rest is noise
MAX_NAME_LENGTH = 100  # browser, os and referrer names: report labels, not free text
MAX_CAMPAIGN_VALUE_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Agent:
    """What a visit is grouped by from its User-Agent header; coarse on purpose."""

    browser: str | None
    browser_version: str | None  # major only: enough for reports, less to tell people apart
    os: str | None
    device: str  # desktop, mobile, tablet, bot
    is_bot: bool
    bot: str | None = None  # the kind of bot (bots.KINDS), counted when dropped


_NO_AGENT = Agent(
    browser=None, browser_version=None, os=None, device="bot", is_bot=True, bot="other"
)


@functools.cache
def _resolver() -> Resolver:
    """The Rust-backed rules table, built on first use rather than at import (~0.1 s)."""
    return Resolver(load_lazy_builtins())


def parse_agent(user_agent: str, hints: Hints = NO_HINTS) -> Agent:
    """Browser, major version, OS, device class and bot verdict for a User-Agent header and
    the client hints sent with it (devices.py)."""
    return _parse_agent(_checked(user_agent), hints)


def families(user_agent: str) -> tuple[str | None, str | None, bool]:
    """Browser family, OS family and bot verdict, as `parse_agent` gives them, without the
    device class: web-server usage data keep none, and an app's Android agent would make
    the device lists load (seconds) for nothing. Not cached: the caller keeps its own."""
    user_agent = _checked(user_agent)
    if not user_agent.strip():
        return _NO_AGENT.browser, _NO_AGENT.os, _NO_AGENT.is_bot
    result = _resolver()(user_agent, Domain.USER_AGENT | Domain.OS)
    browser = result.user_agent
    return (
        _label(browser.family) if browser else None,
        _label(result.os.family) if result.os else None,
        bot_list().kind(user_agent) is not None,
    )


def bot_kind(user_agent: str) -> str | None:
    """The bot verdict of `parse_agent` alone (the tests' corpora: no browser, no device)."""
    user_agent = _checked(user_agent)
    return bot_list().kind(user_agent) if user_agent.strip() else _NO_AGENT.bot


def _checked(user_agent: str) -> str:
    if not user_agent.isascii():
        # aiohttp keeps undecodable header bytes as lone surrogates; the Rust side
        # cannot take those, and "?" loses nothing the rules look at.
        user_agent = user_agent.encode("utf-8", "replace").decode("utf-8")
    return user_agent[:MAX_AGENT_LENGTH]


@functools.lru_cache(maxsize=AGENT_CACHE_SIZE)
def _parse_agent(user_agent: str, hints: Hints) -> Agent:
    if not user_agent.strip():
        return _NO_AGENT
    result = _resolver()(user_agent, Domain.ALL)
    bot = bot_list().kind(user_agent)
    is_bot = bot is not None
    browser = result.user_agent
    return Agent(
        browser=_label(browser.family) if browser else None,
        browser_version=_label(browser.major) if browser else None,
        os=_label(result.os.family) if result.os else None,
        device="bot" if is_bot else device_type(user_agent, hints),
        is_bot=is_bot,
        bot=bot,
    )


def _label(value: str | None) -> str | None:
    if not value or value == "Other":  # ua-parser's name for "no rule matched"
        return None
    return value[:MAX_NAME_LENGTH]


@dataclass(frozen=True, slots=True)
class Campaign:
    """The mtm_/pk_/utm_ campaign parameters a page URL was tagged with."""

    name: str | None
    source: str | None
    medium: str | None
    keyword: str | None
    content: str | None


# Parameter names for each campaign field, highest priority first: mtm_ (Matomo) over
# pk_ (Piwik, Matomo's old name) over utm_ (Google Analytics). Each field is taken on its
# own, so a page tagged with mtm_campaign and utm_source gets both.
_CAMPAIGN_PARAMS: dict[str, tuple[str, ...]] = {
    "name": (
        "mtm_campaign",
        "matomo_campaign",
        "pk_campaign",
        "pk_cpn",
        "piwik_campaign",
        "utm_campaign",
    ),
    "source": ("mtm_source", "pk_source", "utm_source"),
    "medium": ("mtm_medium", "pk_medium", "utm_medium"),
    "keyword": ("mtm_keyword", "mtm_kwd", "pk_keyword", "pk_kwd", "utm_term"),
    "content": ("mtm_content", "pk_content", "utm_content"),
}


def extract_campaign(url: str) -> Campaign | None:
    """The campaign a page URL was tagged with, or None when it names no campaign.

    Read from the query string and, as Matomo does, from the fragment ("#mtm_campaign=…",
    or "#/route?mtm_campaign=…" in single-page apps); the query wins. The name is
    lowercased so that "Spring" and "spring" count as one campaign.
    """
    if "campaign" not in url and "pk_cpn" not in url and "campaign" not in url.lower():
        return None  # every name parameter contains one of these: skip parsing (hot path)
    params = _url_params(url)
    values = {field: _first(params, names) for field, names in _CAMPAIGN_PARAMS.items()}
    name = values.pop("name")
    if name is None:
        return None
    return Campaign(name=name.lower()[:MAX_CAMPAIGN_VALUE_LENGTH], **values)


def _url_params(url: str) -> dict[str, str]:
    before_fragment, _, fragment = url.partition("#")
    query = before_fragment.partition("?")[2]
    fragment_query = fragment.partition("?")[2] or fragment
    params: dict[str, str] = {}
    for part in (query, fragment_query):
        for key, value in parse_qsl(part):
            params.setdefault(key.lower(), value)  # first one wins, as in Matomo
    if "%00" in url:
        # The page URL's query is decoded here a second time: `url=...%2500` holds a NUL
        # no raw parameter held, and a text column cannot; the rest of the value is kept.
        # (Invalid UTF-8 cannot come out: parse_qsl decodes it as U+FFFD.)
        return {key: value.replace("\0", "") for key, value in params.items()}
    return params


def _first(params: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if value := params.get(name, "").strip():
            return value[:MAX_CAMPAIGN_VALUE_LENGTH]
    return None


def classify_referrer(
    referrer: str | None, site_domains: Sequence[str], campaign: Campaign | None
) -> tuple[str, str | None]:
    """(ref_type, ref_name): how the visitor came, by Matomo's rules.

    A campaign in the page URL beats the referrer; no referrer, or one from the site
    itself or its subdomains, is "direct"; then search engines, social networks, and
    any other host as a "website" named by its host.
    """
    if campaign is not None:
        return "campaign", campaign.name
    return _classify_host(referrer, tuple(site_domains))


@functools.lru_cache(maxsize=4096)
def _classify_host(referrer: str | None, site_domains: tuple[str, ...]) -> tuple[str, str | None]:
    """Cached: the same referrers (search engines, own pages) come again and again."""
    host = _host(referrer)
    if host is None or _is_own(host, site_domains):
        return "direct", None
    if name := search_engine(host):
        return "search", name
    if name := social_network(host):
        return "social", name
    return "website", host[:MAX_NAME_LENGTH]


def _host(url: str | None) -> str | None:
    """Lowercase host without "www." and trailing dot, or None if there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname  # lowercased by urllib
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return None
    if not host:
        return None
    return _bare(host) or None


def _bare(domain: str) -> str:
    return domain.strip().lower().rstrip(".").removeprefix("*.").removeprefix("www.")


def _is_own(host: str, site_domains: Sequence[str]) -> bool:
    for domain in site_domains:
        own = _bare(domain)
        if own and (host == own or host.endswith("." + own)):
            return True
    return False


# RFC 3986, appendix B: scheme, authority, path; the query and fragment are left out.
_URL_PARTS = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)")


def strip_url(url: str) -> str:
    """The URL without query string, fragment and user:password@, for aggregates.

    Query strings and fragments carry search terms, tokens and e-mail addresses; they are
    not kept beyond the raw hit.
    """
    match = _URL_PARTS.match(url)
    assert match is not None  # every part of the pattern is optional
    scheme, authority, path = match.groups()
    stripped = f"{scheme}:" if scheme is not None else ""
    if authority is not None:
        stripped += "//" + authority.rpartition("@")[2]
    return stripped + path


def url_path(url: str) -> str:
    """Only the path of the URL, "/" when it has none."""
    match = _URL_PARTS.match(url)
    assert match is not None
    return match.group(3) or "/"

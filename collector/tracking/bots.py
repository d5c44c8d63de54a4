"""Bots by user agent, from maintained lists, compiled once.

The lists (installed from PyPI with the collector, never fetched at run time, P5):

- `crawler-user-agents` (monperrus/crawler-user-agents, MIT): about 1,500 patterns, each
  tagged (search engine, SEO, monitoring, AI crawler, HTTP library, ...);
- Matomo's DeviceDetector lists as shipped in `device_detector` (LGPL-3.0): `bots.yml`
  (about 850 bots with a category), and the HTTP libraries and feed readers of its client
  lists, which DeviceDetector does not call bots but which never run a page's script.

About 2,500 patterns, tried in list order behind a literal prefilter (patterns.py): an agent
costs tens of microseconds on first sight (bench/agents.py); enrich.py caches the verdict.

Before matching, the parts of an agent that name a device or an app rather than a client
are masked (`_HUMAN`): Android device models ("M bot 51", "HTC Butterfly") and build ids,
and the in-app browsers of Sogou, Viber and WhatsApp, whose names the lists use for those
companies' crawlers and link previewers.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from importlib.util import find_spec
from pathlib import Path

import yaml

from collector.tracking.patterns import PatternSet, split_lookbehinds

# What /metrics counts dropped bots by (`bots_dropped{kind}`); README, "metrics".
KINDS = (
    "ai",  # AI crawlers, assistants and agents (GPTBot, ChatGPT-User, Claude-User, ...)
    "automation",  # headless and driven browsers (Playwright, Selenium, Puppeteer, ...)
    "crawler",  # SEO, archive, research and advertising crawlers
    "feed",  # feed fetchers and readers, read-it-later services
    "library",  # HTTP libraries and command-line tools (curl, python-requests, Go, ...)
    "monitoring",  # uptime, synthetic and performance monitoring, validators
    "preview",  # link previews of social networks and messengers
    "scanner",  # security and vulnerability scanners
    "search",  # search engines' crawlers
    "service",  # service agents of platforms (Google's, Cloudflare's, ...)
    "other",  # no user agent, or a bot of no known kind
)

# crawler-user-agents tags, the first present decides; untagged or SEO/archive: crawler
_TAG_KINDS = (
    ("ai-crawler", "ai"),
    ("browser-automation", "automation"),
    ("monitoring", "monitoring"),
    ("http-library", "library"),
    ("scanner", "scanner"),
    ("social-preview", "preview"),
    ("feed-reader", "feed"),
    ("search-engine", "search"),
)
# DeviceDetector's bot categories
_CATEGORY_KINDS = {
    "AI Agent": "ai",
    "AI Assistant": "ai",
    "AI Data Scraper": "ai",
    "AI Search Crawler": "ai",
    "Benchmark": "monitoring",
    "Crawler": "crawler",
    "Feed Fetcher": "feed",
    "Feed Parser": "feed",
    "Feed Reader": "feed",
    "Network Monitor": "monitoring",
    "Read-it-later Service": "feed",
    "Search bot": "search",
    "Search tools": "search",
    "Security Checker": "scanner",
    "Security search bot": "search",
    "Service Agent": "service",
    "Service bot": "service",
    "Site Monitor": "monitoring",
    "Social Media Agent": "preview",
    "Validator": "monitoring",
}
# DeviceDetector matches each of its patterns after a word boundary of its own making.
DD_BOUNDED = r"(?:^|[^A-Z0-9_-]|[^A-Z0-9-]_|sprd-|MZ-)(?:{})"
# Patterns of the lists left out, and why.
_UNUSED = {
    r"008\/": "a bare version number: also matches phones such as 'DESAY TS1008/1.0'",
}
# Masked before matching: a device or app name is not a client. Each was a false positive
# on DeviceDetector's fixtures of people's browsers and apps.
_HUMAN = re.compile(
    # the model and build of an Android device, unless Google's agents hide there
    r"(?<=\(Linux; Android)(?![^)]*-Google/)[^;)]*;[^)]*"
    r"|(?<=\(Linux; U; Android)[^;)]*;[^)]*"
    r"|SogouMSE,SogouMobileBrowser/|SogouSearch Android"  # Sogou's browser and search app
    r"|Viber/[0-9]"  # Viber's in-app browser; its link previewer says "Viber" alone
    # WhatsApp's app and in-app browser; its link previewer says "WhatsApp/2.x A" and nothing else
    r"|(?<=.)WhatsApp/|^WhatsApp/[0-9.]+ (?=(?:Android|iPhone_OS)/)"
)


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it (device_detector's
    import builds its own parsers, which we do not use)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed; it carries the bot lists")
    return Path(next(iter(spec.submodule_search_locations)))


def _crawler_user_agents() -> Iterator[tuple[str, int, str]]:
    path = package_dir("crawleruseragents") / "crawler-user-agents.json"
    for entry in json.loads(path.read_text(encoding="utf-8")):
        if entry["pattern"] in _UNUSED:
            continue
        tags = entry.get("tags", ())
        kind = next((k for tag, k in _TAG_KINDS if tag in tags), "crawler")
        yield entry["pattern"], 0, kind  # case-sensitive, as the list is written


def _device_detector() -> Iterator[tuple[str, int, str]]:
    root = package_dir("device_detector") / "regexes" / "upstream"
    lists = (
        ("bots.yml", None),
        ("client/libraries.yml", "library"),
        ("client/feed_readers.yml", "feed"),
    )
    for name, kind in lists:
        text = (root / name).read_text(encoding="utf-8")
        for entry in yaml.load(text, Loader=_Loader):  # noqa: S506 (a safe loader, C or not)
            pattern = DD_BOUNDED.format(split_lookbehinds(entry["regex"]))
            category = entry.get("category") or ""
            yield pattern, re.IGNORECASE, kind or _CATEGORY_KINDS.get(category, "other")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: 10x


# --- the compiled lists --------------------------------------------------------------------


class BotList:
    """The lists as one PatternSet; `kind` says which kind of bot an agent is, or None."""

    __slots__ = ("_patterns",)

    def __init__(self, rules: Iterable[tuple[str, int, str]]) -> None:
        self._patterns = PatternSet(rules)

    def __len__(self) -> int:
        return len(self._patterns)

    @property
    def rules(self) -> Sequence[tuple[re.Pattern[str], str]]:
        return self._patterns.rules

    def kind(self, user_agent: str) -> str | None:
        """The kind of the first pattern (in list order) that matches, or None."""
        return self._patterns.first(_HUMAN.sub("", user_agent))


# Before the lists, to correct the kind the first list pattern would give (all of these are
# bots by the lists too): a test runner is not an HTTP library, Google's feed fetcher not its
# search crawler.
_OWN = (
    (r"Cypress/|Prerender|Playwright/|Puppeteer", "automation"),
    (r"Checkly|Site24x7", "monitoring"),
    (r"^node$", "library"),
    (r"FeedFetcher-Google", "feed"),
    (r"APIs-Google|Google-Read-Aloud|Google-Safety", "service"),
    (r"GoogleOther", "crawler"),
)


@functools.cache
def bot_list() -> BotList:
    """The lists, compiled on first use (about half a second; app start warms it)."""
    own = ((pattern, 0, kind) for pattern, kind in _OWN)
    return BotList([*own, *_crawler_user_agents(), *_device_detector()])

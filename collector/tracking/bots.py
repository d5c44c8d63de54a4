"""Bots by user agent, from maintained lists, compiled once.

The lists (installed from PyPI with the collector, never fetched at run time, P5):

- `crawler-user-agents` (monperrus/crawler-user-agents, MIT): about 1,500 patterns, each
  tagged (search engine, SEO, monitoring, AI crawler, HTTP library, ...);
- Matomo's DeviceDetector lists as shipped in `device_detector` (LGPL-3.0): `bots.yml`
  (about 850 bots with a category), and the HTTP libraries and feed readers of its client
  lists, which DeviceDetector does not call bots but which never run a page's script.

A few hundred patterns are too many to try one after another on every agent (a combined
alternation costs milliseconds). So each pattern is reduced once to the literal text every
match must contain (`_literals`), one Aho-Corasick automaton finds which of those occur in
the lowercased agent, and only the patterns they belong to are tried. An agent costs
tens of microseconds on the first sight (bench/agents.py); enrich.py caches the verdict.

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
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ahocorasick_rs
import yaml

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
_DD_BOUNDED = r"(?:^|[^A-Z0-9_-]|[^A-Z0-9-]_|sprd-|MZ-)(?:{})"
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
_MIN_LITERAL = 3  # shorter literals ("ai", "/") occur in nearly every agent
_MAX_ALTERNATIVES = 64  # literal sets larger than this are not worth expanding

Literals = frozenset[str]


def _package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it (device_detector's
    import builds its own parsers, which we do not use)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed; it carries the bot lists")
    return Path(next(iter(spec.submodule_search_locations)))


def _crawler_user_agents() -> Iterator[tuple[str, int, str]]:
    path = _package_dir("crawleruseragents") / "crawler-user-agents.json"
    for entry in json.loads(path.read_text(encoding="utf-8")):
        if entry["pattern"] in _UNUSED:
            continue
        tags = entry.get("tags", ())
        kind = next((k for tag, k in _TAG_KINDS if tag in tags), "crawler")
        yield entry["pattern"], 0, kind  # case-sensitive, as the list is written


def _device_detector() -> Iterator[tuple[str, int, str]]:
    root = _package_dir("device_detector") / "regexes" / "upstream"
    lists = (
        ("bots.yml", None),
        ("client/libraries.yml", "library"),
        ("client/feed_readers.yml", "feed"),
    )
    for name, kind in lists:
        text = (root / name).read_text(encoding="utf-8")
        for entry in yaml.load(text, Loader=_Loader):  # noqa: S506 (a safe loader, C or not)
            pattern = _DD_BOUNDED.format(_split_lookbehinds(entry["regex"]))
            category = entry.get("category") or ""
            yield pattern, re.IGNORECASE, kind or _CATEGORY_KINDS.get(category, "other")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: 10x
_LOOKBEHIND_ALTERNATIVES = re.compile(r"\(\?<!([^()]*\|[^()]*)\)")


def _split_lookbehinds(pattern: str) -> str:
    """`(?<!a|bc)` as `(?<!a)(?<!bc)`: the same test, which Python's re can compile when the
    alternatives differ in length (PCRE, DeviceDetector's engine, takes either)."""
    return _LOOKBEHIND_ALTERNATIVES.sub(
        lambda m: "".join(f"(?<!{alt})" for alt in m[1].split("|")), pattern
    )


# --- the literals a pattern's every match contains ---------------------------------------


def _exact(items: Sequence[tuple[object, object]]) -> Literals | None:
    """The strings (lowercased) a sequence matches, when it matches only a few fixed ones."""
    out: Literals = frozenset({""})
    for op, av in items:
        each = _exact_item(op, av)
        if each is None:
            return None
        out = frozenset(a + b for a in out for b in each)
        if len(out) > _MAX_ALTERNATIVES:
            return None
    return out


def _exact_item(op: object, av: object) -> Literals | None:
    if op is sre.LITERAL:
        return frozenset({chr(av).lower()})  # type: ignore[arg-type]
    if op is sre.IN:
        chars = set()
        for member_op, member in av:  # type: ignore[attr-defined]
            if member_op is not sre.LITERAL:
                return None
            chars.add(chr(member).lower())
        return frozenset(chars) if len(chars) <= 4 else None
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return frozenset({""})  # zero width: matches no text
    if op is sre.SUBPATTERN:
        return _exact(av[3])  # type: ignore[index]
    if op is sre.BRANCH:
        alternatives = [_exact(item) for item in av[1]]  # type: ignore[index]
        if any(a is None for a in alternatives):
            return None
        return frozenset().union(*alternatives)  # type: ignore[arg-type]
    return None


def _shortest(literals: Literals | None) -> int:
    return min((len(s) for s in literals), default=0) if literals else 0


def _literals(items: Sequence[tuple[object, object]]) -> Literals | None:
    """Strings of which every match of `items` contains one (lowercased), or None; the set
    whose shortest string is longest, so that it rules out the most agents."""
    found: list[Literals | None] = []
    run: Literals = frozenset({""})
    for op, av in items:
        exact = _exact_item(op, av)
        joined = None if exact is None else frozenset(a + b for a in run for b in exact)
        if joined is not None and len(joined) <= _MAX_ALTERNATIVES:
            run = joined
            continue
        found.append(run)
        run = exact if exact is not None else frozenset({""})
        if exact is not None:
            continue
        if op is sre.SUBPATTERN:
            found.append(_literals(av[3]))  # type: ignore[index]
        elif op is sre.BRANCH:
            alternatives = [_literals(item) for item in av[1]]  # type: ignore[index]
            if all(alternatives):
                found.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            found.append(_literals(av[2]))  # type: ignore[index]
        elif op is sre.ATOMIC_GROUP:
            found.append(_literals(av))  # type: ignore[arg-type]
    found.append(run)
    best = max(found, key=_shortest)
    return best if _shortest(best) >= _MIN_LITERAL else None


def literals(pattern: str, flags: int = 0) -> Literals | None:
    """What `_literals` finds for a pattern (public for the tests)."""
    return _literals(sre_parse.parse(pattern, flags))


# --- the compiled lists --------------------------------------------------------------------


class BotList:
    """Patterns compiled once; `kind` says which kind of bot an agent is, or None."""

    __slots__ = ("_always", "_automaton", "_owners", "_rules")

    def __init__(self, rules: Iterable[tuple[str, int, str]]) -> None:
        self._rules: list[tuple[re.Pattern[str], str]] = []
        owners: dict[str, list[int]] = {}
        always: list[int] = []
        for pattern, flags, kind in rules:
            try:
                compiled = re.compile(pattern, flags)
            except re.error:  # a pattern only another engine takes: the lists have none today
                continue
            index = len(self._rules)
            self._rules.append((compiled, kind))
            needles = literals(pattern, flags)
            if needles is None:
                always.append(index)
            else:
                for needle in needles:
                    owners.setdefault(needle, []).append(index)
        needles_in_order = list(owners)
        self._owners = [tuple(owners[n]) for n in needles_in_order]
        self._automaton = ahocorasick_rs.AhoCorasick(needles_in_order)
        self._always = tuple(always)

    def __len__(self) -> int:
        return len(self._rules)

    def kind(self, user_agent: str) -> str | None:
        """The kind of the first pattern (in list order) that matches, or None."""
        text = _HUMAN.sub("", user_agent)
        candidates = set(self._always)
        for needle, _start, _end in self._automaton.find_matches_as_indexes(
            text.lower(), overlapping=True
        ):
            candidates.update(self._owners[needle])
        for index in sorted(candidates):
            pattern, kind = self._rules[index]
            if pattern.search(text):
                return kind
        return None


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

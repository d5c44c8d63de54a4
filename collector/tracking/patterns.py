"""Many regular expressions tried against one string, in order, fast: each pattern is
reduced once to literal text every match of it must contain (`literals`); one Aho-Corasick
automaton (ahocorasick-rs, Apache-2.0) finds which of those occur in the lowercased string,
and only their patterns are tried. Trying a thousand patterns one by one, or as one
alternation, costs milliseconds a string; this costs microseconds (bench/agents.py).

Used for the bot lists (bots.py) and DeviceDetector's device lists (devices.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Generic, TypeVar

import ahocorasick_rs

T = TypeVar("T")
_MIN_LITERAL = 3  # shorter literals ("ai", "/") occur in nearly every string
_MAX_ALTERNATIVES = 64  # literal sets larger than this are not worth expanding
_MAX_CLASS = 10  # character classes up to this many characters are expanded

Literals = frozenset[str]
_LOOKBEHIND_ALTERNATIVES = re.compile(r"\(\?<!([^()]*\|[^()]*)\)")


def split_lookbehinds(pattern: str) -> str:
    """`(?<!a|bc)` as `(?<!a)(?<!bc)`: the same test, which Python's re can compile when the
    alternatives differ in length (PCRE, DeviceDetector's engine, takes either)."""
    return _LOOKBEHIND_ALTERNATIVES.sub(
        lambda m: "".join(f"(?<!{alt})" for alt in m[1].split("|")), pattern
    )


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
    if op is sre.IN:  # a small class: [wW], [ _], [4-9]
        chars: set[str] = set()
        for member_op, member in av:  # type: ignore[attr-defined]
            if member_op is sre.LITERAL:
                chars.add(chr(member).lower())
            elif member_op is sre.RANGE and member[1] - member[0] < _MAX_CLASS:
                chars.update(chr(c).lower() for c in range(member[0], member[1] + 1))
            else:  # a negated class, \d, \w, or a wide range
                return None
        return frozenset(chars) if len(chars) <= _MAX_CLASS else None
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


# What nearly every agent contains: a literal found in these rules out almost nothing
# ("android" would make a pattern a candidate for every Android agent), so another literal
# of the pattern is preferred, or none.
_COMMON = (
    "mozilla/5.0 (linux; android 10; k) applewebkit/537.36 (khtml, like gecko) "
    "chrome/124.0.0.0 mobile safari/537.36 version/4.0 ; wv) build/",
    "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko) "
    "chrome/124.0.0.0 safari/537.36 edg/124.0.0.0",
    "mozilla/5.0 (iphone; cpu iphone os 17_4 like mac os x) applewebkit/605.1.15 "
    "(khtml, like gecko) version/17.4 mobile/15e148 safari/604.1",
    "mozilla/5.0 (x11; linux x86_64; rv:125.0) gecko/20100101 firefox/125.0",
)


def _shortest(literals: Literals | None) -> int:
    """How well a literal set rules agents out: its shortest string's length, 0 when one
    of them occurs in a common agent."""
    if not literals:
        return 0
    if any(s in common for s in literals for common in _COMMON):
        return 0
    return min(len(s) for s in literals)


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
    return max(found, key=_shortest)


def _best_literals(parsed: Sequence[tuple[object, object]]) -> Literals | None:
    found = _literals(parsed)
    return found if _shortest(found) >= _MIN_LITERAL else None


def literals(pattern: str, flags: int = 0) -> Literals | None:
    """Strings of which every match of `pattern` contains one (lowercased), or None when
    there are none of at least three characters (public for the tests)."""
    return _best_literals(sre_parse.parse(pattern, flags))


class PatternSet(Generic[T]):
    """Patterns compiled once, each with a value; `first` gives the value of the first
    pattern (in the order given) that matches, or None."""

    __slots__ = ("_always", "_automaton", "_owners", "_rules")

    def __init__(self, rules: Iterable[tuple[str, int, T]]) -> None:
        self._rules: list[tuple[re.Pattern[str], T]] = []
        owners: dict[str, list[int]] = {}
        always: list[int] = []
        for pattern, flags, value in rules:
            try:  # parsed once, for both the compiler and the literals (start-up time)
                parsed = sre_parse.parse(pattern, flags)
                compiled = sre_compile.compile(parsed, flags)
            except re.error:  # a pattern only another engine takes: the lists have none today
                continue
            index = len(self._rules)
            self._rules.append((compiled, value))
            needles = _best_literals(parsed)
            if needles is None:
                always.append(index)
            else:
                for needle in needles:
                    owners.setdefault(needle, []).append(index)
        needles_in_order = list(owners)
        self._owners = [tuple(owners[n]) for n in needles_in_order]
        self._automaton = ahocorasick_rs.AhoCorasick(needles_in_order) if owners else None
        self._always = tuple(always)

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def rules(self) -> Sequence[tuple[re.Pattern[str], T]]:
        return self._rules

    def first(self, text: str, lowered: str | None = None) -> T | None:
        """The value of the first pattern that matches `text` (`lowered`: text.lower())."""
        candidates = set(self._always)
        if self._automaton is not None:
            found = self._automaton.find_matches_as_indexes(
                text.lower() if lowered is None else lowered, overlapping=True
            )
            for needle, _start, _end in found:
                candidates.update(self._owners[needle])
        for index in sorted(candidates):
            pattern, value = self._rules[index]
            if pattern.search(text):
                return value
        return None

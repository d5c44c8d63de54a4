"""Goals and custom dimensions as the hit path sees them: a site's definitions, matched on
ingest (pure functions, no I/O).

A goal is matched against the hit that can convert it, as Matomo's GoalManager does: a page
URL or title against a pageview, a file against a download, an external website against an
outlink, an event's category, action or name against an event; `manually` goals convert only
by `idgoal=N`. What a hit converted is stored on the hit (`Hit.goals`), so the roll-up derives
"once per visit" from the hits alone and its subtract-and-add stays exact. Definitions come
from the site registry (collector/sites.py), reloaded on NOTIFY: a goal added later applies
from then on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

import orjson

# Matomo's match_attribute values, and the action whose field each one reads.
MATCHES = (
    "url",
    "title",
    "event_category",
    "event_action",
    "event_name",
    "file",
    "external_website",
    "manually",
)
PATTERN_TYPES = ("contains", "exact", "regex")
MAX_PATTERN_LENGTH = 1000
_FIELD_OF_MATCH = {
    "url": ("pageview", "url"),
    "title": ("pageview", "title"),
    "event_category": ("event", "event_category"),
    "event_action": ("event", "event_action"),
    "event_name": ("event", "event_name"),
    "file": ("download", "target_url"),
    "external_website": ("outlink", "target_url"),
}


def _matcher(pattern_type: str, pattern: str, case_sensitive: bool) -> Callable[[str], bool]:
    """A predicate over the matched text. Matomo also tries the pattern URL-decoded, for goals
    whose URL was pasted encoded."""
    variants = tuple(dict.fromkeys((pattern, unquote(pattern))))
    if pattern_type == "regex":
        flags = 0 if case_sensitive else re.IGNORECASE
        compiled = [re.compile(v, flags) for v in variants]
        return lambda text: any(c.search(text) for c in compiled)
    if not case_sensitive:
        variants = tuple(v.lower() for v in variants)
    if pattern_type == "contains":
        if case_sensitive:
            return lambda text: any(v in text for v in variants)
        return lambda text: any(v in text.lower() for v in variants)
    if case_sensitive:
        return lambda text: text in variants
    return lambda text: text.lower() in variants


def check_pattern(pattern_type: str, pattern: str) -> None:
    """ValueError unless `pattern` can be a goal's pattern of that type."""
    if pattern_type not in PATTERN_TYPES:
        raise ValueError(f"pattern type must be one of {', '.join(PATTERN_TYPES)}")
    if not 0 < len(pattern) <= MAX_PATTERN_LENGTH:
        raise ValueError(f"a pattern has 1 to {MAX_PATTERN_LENGTH} characters")
    if pattern_type == "regex":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None


@dataclass(frozen=True, slots=True)
class Goal:
    goal_id: int
    name: str
    match: str  # one of MATCHES
    pattern_type: str | None = None  # None for "manually"
    pattern: str | None = None
    case_sensitive: bool = False
    revenue: float | None = None  # fixed revenue; a sent `revenue` wins
    allow_multiple: bool = False  # False: converted at most once per visit
    event_value_as_revenue: bool = False
    _test: Callable[[str], bool] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern_type is not None and self.pattern is not None:
            test = _matcher(self.pattern_type, self.pattern, self.case_sensitive)
            object.__setattr__(self, "_test", test)

    def field_for(self, action: str) -> str | None:
        """The Hit field this goal reads for a hit of `action`, or None if it cannot convert."""
        wanted = _FIELD_OF_MATCH.get(self.match)
        return wanted[1] if wanted is not None and wanted[0] == action else None

    def matches(self, text: str) -> bool:
        return self._test is not None and self._test(text)


@dataclass(frozen=True, slots=True)
class Dimension:
    dimension_id: int
    name: str
    scope: str  # visit or action
    param: str = field(init=False, repr=False, compare=False)  # "dimension<id>"
    key: str = field(init=False, repr=False, compare=False)  # "v<id>" / "a<id>" in Hit.dimensions

    def __post_init__(self) -> None:
        object.__setattr__(self, "param", f"dimension{self.dimension_id}")
        object.__setattr__(self, "key", f"{self.scope[0]}{self.dimension_id}")


MAX_DIMENSION_LENGTH = 250  # as Matomo's CustomDimensions: trimmed, then cut to 250


def conversion(goal: Goal, sent_revenue: float | None, event_value: float | None) -> list[object]:
    """One entry of `Hit.goals`: [goal_id, revenue, once_per_visit]. The sent `revenue` wins
    over the goal's own, and an event goal may take the event's value instead (Matomo)."""
    revenue = goal.revenue if sent_revenue is None else sent_revenue
    if goal.event_value_as_revenue and event_value is not None:
        revenue = event_value
    return [goal.goal_id, revenue, not goal.allow_multiple]


def converted(
    goals: tuple[Goal, ...],
    action: str,
    text_of: Callable[[str], str | None],
    sent_revenue: float | None,
    event_value: float | None,
) -> str | None:
    """`Hit.goals` for a hit of `action`: every goal whose pattern its field matches, as JSON,
    or None. `text_of(field)` reads the hit."""
    found = []
    for goal in goals:
        name = goal.field_for(action)
        if name is None:
            continue
        text = text_of(name)
        if text is not None and goal.matches(text):
            found.append(conversion(goal, sent_revenue, event_value))
    return orjson.dumps(found).decode() if found else None

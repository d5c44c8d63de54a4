"""What a report is asked for: site, period and row limit, validated from text.

Pure functions shared by the CLI, the JSON API and the dashboard, so that all three accept
and refuse the same input. A refusal is a `ValueError` whose message names the parameter.
Days are the site's local days; "today" is today where the site is (`local_today`).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MAX_DAYS = 3660  # ten years: bounds the rows of visits-over-time and the work of one report
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# Sane dates only: a period is passed to SQL as dates, and date.max would arrive there as
# 'infinity' (and generate_series over it never ends). Nothing is tracked before 2000.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2199, 12, 31)
_MAX_SITE = 999_999_999


@dataclass(frozen=True, slots=True)
class ReportQuery:
    site_id: int
    first: date
    last: date  # inclusive
    limit: int = DEFAULT_LIMIT
    subject: int | None = None  # one goal or custom dimension ($5 of the reports taking one)


def local_today(now: datetime, timezone: str) -> date:
    """The date at `now` in the site's zone."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def parse_day(name: str, text: str) -> date:
    if len(text) != 10:  # fromisoformat also takes "20240101" and week dates
        raise ValueError(f"{name}: not a date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: not a date (YYYY-MM-DD)") from None
    _check_day(name, day)
    return day


def _check_day(name: str, day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{name}: must be from {FIRST_DAY} to {LAST_DAY}")


def parse_site(text: str | None) -> int:
    if text is None or text == "":
        raise ValueError("site: required")
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_SITE:
        raise ValueError("site: must be a positive integer")
    return int(text)


def parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ValueError(f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def parse_id(name: str, text: str | None) -> int | None:
    """An optional id (a goal's, a dimension's): absent or empty is None."""
    if text is None or text == "":
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_SITE:
        raise ValueError(f"{name}: must be a positive integer")
    return int(text)


def parse_subject(params: Mapping[str, str]) -> int | None:
    """`goal` or `dimension`: the one id a goal or dimension report is narrowed to."""
    goal = parse_id("goal", params.get("goal"))
    dimension = parse_id("dimension", params.get("dimension"))
    if goal is not None and dimension is not None:
        raise ValueError("goal, dimension: give one of them")
    return goal if goal is not None else dimension


def default_period(today: date, days: int) -> tuple[date, date]:
    """The last `days` days up to today: what raw retention keeps."""
    return today - timedelta(days=days - 1), today


def check_period(first: date, last: date) -> None:
    _check_day("from", first)
    _check_day("to", last)
    if first > last:
        raise ValueError("from: after to")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"from, to: at most {MAX_DAYS} days")


def resolve_period(
    first: date | None, last: date | None, today: date, default_days: int
) -> tuple[date, date]:
    """The period asked for: without `to`, up to today; without `from`, the default length
    (the last RETENTION_DAYS days) up to `to`."""
    default_first, default_last = default_period(today, default_days)
    length = default_last - default_first
    if last is None:
        last = default_last
    if first is None:
        first = max(last - length, FIRST_DAY)
    check_period(first, last)
    return first, last


def parse_report_query(
    params: Mapping[str, str], today_of: Callable[[int], date | None], default_days: int
) -> ReportQuery | None:
    """`site`, `from`, `to`, `limit` (and `goal` or `dimension`) as an HTTP query gives them;
    ValueError for a bad one. `today_of(site)` is that site's local date, or None for an
    unknown site (then this returns None, once the parameters are known to be valid)."""
    site_id = parse_site(params.get("site"))
    limit = parse_limit(params.get("limit"))
    subject = parse_subject(params)
    first = parse_day("from", raw) if (raw := params.get("from")) else None
    last = parse_day("to", raw) if (raw := params.get("to")) else None
    if first and last:
        check_period(first, last)
    today = today_of(site_id)
    if today is None:
        return None
    first, last = resolve_period(first, last, today, default_days)
    return ReportQuery(site_id, first, last, limit, subject)


# The dashboard's named periods (`?period=`), in the site's local days, Matomo's way: "last
# 7 days" ends today. Custom periods are `from`/`to`.
PRESETS: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last7", "Last 7 days"),
    ("last30", "Last 30 days"),
    ("month", "This month"),
    ("lastmonth", "Last month"),
    ("year", "This year"),
)
COMPARISONS = ("previous", "year")


def preset_period(name: str, today: date) -> tuple[date, date]:
    """The first and last local day of preset `name` on local day `today`."""
    if name == "today":
        return today, today
    if name == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if name in ("last7", "last30"):
        return today - timedelta(days=int(name[4:]) - 1), today
    if name == "month":
        return today.replace(day=1), today
    if name == "lastmonth":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if name == "year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"period: one of {', '.join(p for p, _ in PRESETS)}")


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def comparison_period(first: date, last: date, mode: str) -> tuple[date, date]:
    """The earlier period to compare with: `previous`, as many days just before; `year`, the
    same days a year before."""
    if mode == "previous":
        days = (last - first).days + 1
        earlier = (first - timedelta(days=days), first - timedelta(days=1))
    elif mode == "year":
        earlier = (_year_before(first), _year_before(last))
    else:
        raise ValueError(f"compare: one of {', '.join(COMPARISONS)}")
    if earlier[0] < FIRST_DAY:
        raise ValueError(f"compare: the earlier period starts before {FIRST_DAY}")
    return earlier

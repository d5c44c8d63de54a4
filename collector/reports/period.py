"""What a report is asked for: site, period and row limit, validated from text.

Pure functions shared by the CLI, the JSON API and the dashboard, so that all three accept
and refuse the same input. A refusal is a `ValueError` whose message names the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 3660  # ten years: bounds the rows of visits-over-time and the work of one report
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_MAX_SITE = 999_999_999


@dataclass(frozen=True, slots=True)
class ReportQuery:
    site_id: int
    first: date
    last: date  # inclusive
    limit: int = DEFAULT_LIMIT


def parse_day(name: str, text: str) -> date:
    if len(text) != 10:  # fromisoformat also takes "20240101" and week dates
        raise ValueError(f"{name}: not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: not a date (YYYY-MM-DD)") from None


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


def default_period(today: date, days: int) -> tuple[date, date]:
    """The last `days` days up to today: what raw retention keeps."""
    return today - timedelta(days=days - 1), today


def check_period(first: date, last: date) -> None:
    if first > last:
        raise ValueError("from: after to")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"from, to: at most {MAX_DAYS} days")


def parse_report_query(params: Mapping[str, str], today: date, default_days: int) -> ReportQuery:
    """`site`, `from`, `to`, `limit` as an HTTP query gives them."""
    site_id = parse_site(params.get("site"))
    default_first, default_last = default_period(today, default_days)
    raw_first, raw_last = params.get("from") or None, params.get("to") or None
    last = parse_day("to", raw_last) if raw_last else default_last
    first = parse_day("from", raw_first) if raw_first else last - (default_last - default_first)
    check_period(first, last)
    return ReportQuery(site_id, first, last, parse_limit(params.get("limit")))

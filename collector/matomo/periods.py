"""Matomo's `period` and `date` as lists of (label, first day, last day), in local days.

As Matomo: `period=day|week|month|year` with one date is the one period holding that day
(weeks run Monday to Sunday); with `lastN`, `previousN` or `A,B` it is a list of periods,
answered as a dict keyed by each period's label. `period=range` is always one period:
`A,B`, `lastN` (N days up to today) or `previousN` (N days up to yesterday). Dates are
`today`, `yesterday`, `now` or `YYYY-MM-DD`, where today is the site's local date. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from collector.reports.period import FIRST_DAY, LAST_DAY, MAX_DAYS

PERIODS = ("day", "week", "month", "year", "range")
MAX_PERIODS = 400  # periods in one multi-period answer: each is a query
_LAST = re.compile(r"^(last|previous)([0-9]{1,4})$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    first: date
    last: date


@dataclass(frozen=True, slots=True)
class Periods:
    periods: tuple[Period, ...]
    multiple: bool  # answer as {label: result}, even for one period


class PeriodError(ValueError):
    pass


def parse_date(text: str, today: date) -> date:
    text = text.strip()
    if text in ("today", "now"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if len(text) == 10 and text.isascii():
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None:
            if not FIRST_DAY <= day <= LAST_DAY:
                raise PeriodError(f"The date '{text}' is out of range ({FIRST_DAY} to {LAST_DAY}).")
            return day
    raise PeriodError(f"The date '{text}' is not a correct date.")


def containing(period: str, day: date) -> Period:
    """The one day, week, month or year holding `day`, with Matomo's label for it."""
    if period == "day":
        return Period(day.isoformat(), day, day)
    if period == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        return Period(f"{first.isoformat()},{last.isoformat()}", first, last)
    if period == "month":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Period(f"{first:%Y-%m}", first, last)
    if period == "year":
        return Period(f"{day:%Y}", date(day.year, 1, 1), date(day.year, 12, 31))
    raise PeriodError(f"The period '{period}' is not supported.")


def _step_back(period: str, p: Period) -> Period:
    return containing(period, p.first - timedelta(days=1))


def _check_span(first: date, last: date) -> None:
    if first > last:
        raise PeriodError("The date range is not correct: the first date is after the last.")
    if first < FIRST_DAY or last > LAST_DAY:
        raise PeriodError(f"The dates must be from {FIRST_DAY} to {LAST_DAY}.")
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(f"The date range is too long: at most {MAX_DAYS} days.")


def parse_periods(period: str | None, date_text: str | None, today: date) -> Periods:
    if not period:
        raise PeriodError("Please specify a value for 'period'.")
    if period not in PERIODS:
        raise PeriodError(
            f"The period '{period}' is not supported. Try any of the following instead: "
            + ", ".join(PERIODS)
        )
    if not date_text:
        raise PeriodError("Please specify a value for 'date'.")
    date_text = date_text.strip()
    last_n = _LAST.match(date_text)
    if period == "range":
        return Periods((_range(date_text, last_n, today),), multiple=False)
    if "," in date_text:
        a, _, b = date_text.partition(",")
        first_p = containing(period, parse_date(a, today))
        last_p = containing(period, parse_date(b, today))
        return Periods(_walk(period, first_p, last_p), multiple=True)
    if last_n:
        n = int(last_n[2])
        if not 1 <= n <= MAX_PERIODS:
            raise PeriodError(f"The number of periods must be from 1 to {MAX_PERIODS}.")
        end = containing(period, today)
        if last_n[1] == "previous":
            end = _step_back(period, end)
        periods = [end]
        while len(periods) < n:
            periods.append(_step_back(period, periods[-1]))
        _check_span(periods[-1].first, periods[0].last)
        return Periods(tuple(reversed(periods)), multiple=True)
    return Periods((containing(period, parse_date(date_text, today)),), multiple=False)


def _walk(period: str, first_p: Period, last_p: Period) -> tuple[Period, ...]:
    _check_span(first_p.first, last_p.last)
    periods = [last_p]
    while periods[-1].first > first_p.first:
        if len(periods) >= MAX_PERIODS:
            raise PeriodError(f"The number of periods must be from 1 to {MAX_PERIODS}.")
        periods.append(_step_back(period, periods[-1]))
    return tuple(reversed(periods))


def _range(date_text: str, last_n: re.Match[str] | None, today: date) -> Period:
    if last_n:
        n = int(last_n[2])
        if not 1 <= n <= MAX_DAYS:
            raise PeriodError(f"The number of days must be from 1 to {MAX_DAYS}.")
        last = today if last_n[1] == "last" else today - timedelta(days=1)
        first = last - timedelta(days=n - 1)
    elif "," in date_text:
        a, _, b = date_text.partition(",")
        first, last = parse_date(a, today), parse_date(b, today)
    else:
        raise PeriodError(
            f"The date '{date_text}' is not a correct date range: for period=range give "
            "date=YYYY-MM-DD,YYYY-MM-DD, lastN or previousN."
        )
    _check_span(first, last)
    return Period(f"{first.isoformat()},{last.isoformat()}", first, last)

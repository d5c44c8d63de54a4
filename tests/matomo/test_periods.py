"""Matomo's period and date, as local days (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from collector.matomo.periods import PeriodError, parse_periods

TODAY = date(2026, 11, 18)  # a Wednesday


def spans(period: str, text: str) -> list[tuple[str, date, date]]:
    return [(p.label, p.first, p.last) for p in parse_periods(period, text, TODAY).periods]


def test_a_day_week_month_or_year_with_one_date_is_the_period_holding_it() -> None:
    assert spans("day", "2026-11-18") == [("2026-11-18", TODAY, TODAY)]
    assert spans("week", "2026-11-18") == [
        ("2026-11-16,2026-11-22", date(2026, 11, 16), date(2026, 11, 22))
    ]
    assert spans("month", "2024-02-10") == [("2024-02", date(2024, 2, 1), date(2024, 2, 29))]
    assert spans("year", "today") == [("2026", date(2026, 1, 1), date(2026, 12, 31))]
    assert spans("day", "yesterday") == [("2026-11-17", date(2026, 11, 17), date(2026, 11, 17))]
    assert not parse_periods("week", "2026-11-18", TODAY).multiple


def test_last_and_previous_are_several_periods_ending_with_or_before_the_current() -> None:
    last3 = spans("day", "last3")
    assert [label for label, _, _ in last3] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert parse_periods("day", "last3", TODAY).multiple
    weeks = spans("week", "previous2")
    assert [(f, t) for _, f, t in weeks] == [
        (date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
    ]
    assert [label for label, _, _ in spans("month", "last2")] == ["2026-10", "2026-11"]


def test_two_dates_are_every_period_between_them() -> None:
    assert [label for label, _, _ in spans("day", "2026-11-01,2026-11-03")] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    assert len(spans("week", "2026-10-01,2026-11-18")) == 8


def test_a_range_is_one_period() -> None:
    assert spans("range", "2026-11-01,2026-11-18") == [
        ("2026-11-01,2026-11-18", date(2026, 11, 1), TODAY)
    ]
    assert spans("range", "last7")[0][1:] == (date(2026, 11, 12), TODAY)
    assert spans("range", "previous30")[0][1:] == (date(2026, 10, 19), date(2026, 11, 17))
    assert not parse_periods("range", "last7", TODAY).multiple


@pytest.mark.parametrize(
    ("period", "text"),
    [
        ("hour", "today"),
        (None, "today"),
        ("day", None),
        ("day", "tomorrow"),
        ("day", "2026-13-01"),
        ("day", "1999-01-01"),
        ("day", "last0"),
        ("day", "last99999"),
        ("range", "2026-11-18"),
        ("range", "2026-11-18,2026-11-01"),
        ("day", "2026-11-01,2026-11-0x"),
        ("day", "2000-01-01,2199-12-31"),
    ],
)
def test_bad_periods_and_dates_are_refused_with_a_reason(
    period: str | None, text: str | None
) -> None:
    with pytest.raises(PeriodError):
        parse_periods(period, text, TODAY)

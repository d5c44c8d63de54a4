from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.config import ConfigError, Settings
from collector.retention.horizon import DROP_LEAD, drop_due, guard, raw_gone_before


def test_retention_defaults_keep_aggregates_fold_single_visits_and_run_after_midnight() -> None:
    s = Settings.from_env({})
    assert (s.aggregate_retention_days, s.rollup_min_count, s.retention_time) == (0, 2, "00:10")
    assert s.timezone == "UTC"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"COLLECTOR_RETENTION_TIME": "24:00"}, "COLLECTOR_RETENTION_TIME"),
        ({"COLLECTOR_RETENTION_TIME": "3am"}, "COLLECTOR_RETENTION_TIME"),
        ({"COLLECTOR_ROLLUP_MIN_COUNT": "0"}, "COLLECTOR_ROLLUP_MIN_COUNT"),
        ({"COLLECTOR_AGGREGATE_RETENTION_DAYS": "3"}, "COLLECTOR_AGGREGATE_RETENTION_DAYS"),
        ({"COLLECTOR_AGGREGATE_RETENTION_DAYS": "x"}, "COLLECTOR_AGGREGATE_RETENTION_DAYS"),
        ({"COLLECTOR_TIMEZONE": "Europe/Flensburg"}, "COLLECTOR_TIMEZONE"),
        ({"COLLECTOR_TIMEZONE": "../../etc/passwd"}, "COLLECTOR_TIMEZONE"),
    ],
)
def test_a_bad_retention_value_names_its_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_an_hour_of_raw_hits_goes_before_its_first_hit_is_an_hour_over_retention() -> None:
    hour = datetime(2026, 11, 2, 13, tzinfo=UTC)
    seven_days = timedelta(days=7)
    due_at = hour + timedelta(hours=1) + seven_days - DROP_LEAD
    assert not drop_due(hour, due_at - timedelta(microseconds=1), 7)
    assert drop_due(hour, due_at, 7)
    # the hour's first hit is then less than an hour over, its last a little under
    assert hour + seven_days < due_at < hour + seven_days + timedelta(hours=1)
    assert raw_gone_before(due_at, 7) == hour + timedelta(hours=1)


def test_the_roll_up_guard_is_an_hour_inside_retention() -> None:
    now = datetime(2026, 11, 9, 0, 10, tzinfo=UTC)
    assert guard(now, 7) == now - timedelta(days=7) + timedelta(hours=1)
    assert guard(now, 7) > raw_gone_before(now, 7)

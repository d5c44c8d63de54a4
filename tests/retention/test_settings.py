from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from collector.config import ConfigError, Settings
from collector.retention.purge import expired_days, first_kept_day


def test_retention_defaults_keep_aggregates_fold_single_visits_and_run_after_midnight() -> None:
    s = Settings.from_env({})
    assert (s.aggregate_retention_days, s.rollup_min_count, s.retention_time) == (0, 2, "00:10")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"COLLECTOR_RETENTION_TIME": "24:00"}, "COLLECTOR_RETENTION_TIME"),
        ({"COLLECTOR_RETENTION_TIME": "3am"}, "COLLECTOR_RETENTION_TIME"),
        ({"COLLECTOR_ROLLUP_MIN_COUNT": "0"}, "COLLECTOR_ROLLUP_MIN_COUNT"),
        ({"COLLECTOR_AGGREGATE_RETENTION_DAYS": "3"}, "COLLECTOR_AGGREGATE_RETENTION_DAYS"),
        ({"COLLECTOR_AGGREGATE_RETENTION_DAYS": "x"}, "COLLECTOR_AGGREGATE_RETENTION_DAYS"),
    ],
)
def test_a_bad_retention_value_names_its_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_a_day_expires_once_all_of_it_is_older_than_the_retention_period() -> None:
    days = [date(2026, 11, d) for d in range(1, 10)]
    now = datetime(2026, 11, 9, 0, 10, tzinfo=UTC)
    assert first_kept_day(now, 7) == date(2026, 11, 2)
    assert expired_days(days, now, 7) == [date(2026, 11, 1)]
    # 7 days after the end of 2 November, not a moment before
    assert expired_days(days, datetime(2026, 11, 9, 23, 59, tzinfo=UTC), 7) == [date(2026, 11, 1)]
    assert expired_days(days, datetime(2026, 11, 10, 0, 0, tzinfo=UTC), 7)[-1] == date(2026, 11, 2)

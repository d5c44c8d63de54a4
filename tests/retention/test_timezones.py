"""Days and hours in the site's own zone: DST nights, local midnight, changing the zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from collector.appkeys import SITES
from collector.reports.runner import run_report
from collector.sites import check_timezone, set_site
from tests.retention.backdated import app_at, visit
from tests.retention.test_purge import headline, reference, reports
from tests.support import settings_for
from tests.test_cli import collector

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def _hours(running, day: date) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    async with running.pool.acquire() as conn:
        rows = await run_report(conn, "visits-by-hour", running.site_id, day, day)
    return [(r["hour"], r["visits"]) for r in rows]


async def test_the_autumn_night_has_25_local_hours_and_the_repeated_one_reads_twice(
    own_url: str,
) -> None:
    day = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET at 01:00 UTC
    async with app_at(settings_for(own_url), utc(2026, 10, 25, 20), timezone=BERLIN) as running:
        await visit(running, utc(2026, 10, 25, 0, 30), "/")  # 02:30 CEST
        await visit(running, utc(2026, 10, 25, 1, 30), "/")  # 02:30 CET
        await visit(running, utc(2026, 10, 24, 22, 5), "/")  # 00:05 CEST: this day, not the 24th
        await running.roll_up()
        hours = await _hours(running, day)
        assert len(hours) == 25
        assert hours[:4] == [
            ("2026-10-25T00:00+02:00", 1),
            ("2026-10-25T01:00+02:00", 0),
            ("2026-10-25T02:00+02:00", 1),
            ("2026-10-25T02:00+01:00", 1),
        ]
        assert hours[-1][0] == "2026-10-25T23:00+01:00"
        assert headline(await reports(running, day, day)) == (3, 3)
        assert headline(await reports(running, date(2026, 10, 24), date(2026, 10, 24))) == (0, 0)
        assert await reports(running, day, day) == await reference(running, day, day)


async def test_the_spring_night_has_23_local_hours(own_url: str) -> None:
    day = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST at 01:00 UTC
    async with app_at(settings_for(own_url), utc(2026, 3, 29, 22), timezone=BERLIN) as running:
        await visit(running, utc(2026, 3, 29, 0, 59), "/", "/a")  # 01:59 CET, then 03:00 CEST
        await visit(running, utc(2026, 3, 29, 21, 59), "/")  # 23:59 CEST
        await running.roll_up()
        hours = await _hours(running, day)
        assert len(hours) == 23
        assert [h for h, _ in hours[1:3]] == ["2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00"]
        assert dict(hours)["2026-03-29T01:00+01:00"] == 1
        assert dict(hours)["2026-03-29T23:00+02:00"] == 1
        assert await reports(running, day, day) == await reference(running, day, day)


async def test_a_new_zone_cuts_the_visits_that_start_after_the_change(own_url: str) -> None:
    """Changing a site's zone takes effect from then on: days already counted keep the cut
    they had (README, "Time zones")."""
    now = utc(2026, 7, 1, 12)
    async with app_at(settings_for(own_url), now) as running:
        # 23:30 UTC on June 29: June 29 in UTC, June 30 in Berlin
        await visit(running, utc(2026, 6, 29, 23, 30), "/before")
        await running.roll_up()
        async with running.pool.acquire() as conn:
            site = await set_site(conn, running.site_id, timezone=BERLIN, now=now)
        assert site.timezone == BERLIN
        await running.app[SITES].load()  # as the NOTIFY that set_site sends makes it
        # a visit after the change, at the same UTC time of day a day later
        running.clock.now = utc(2026, 7, 2, 12)
        await visit(running, utc(2026, 6, 30, 23, 30) + timedelta(days=1), "/after")
        await running.roll_up()
        by_day = {
            d: headline(await reports(running, d, d))
            for d in (date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 2))
        }
    # the first visit stays on June 29 (UTC); the second, 23:30 UTC July 1, is July 2 in Berlin
    assert by_day == {
        date(2026, 6, 29): (1, 1),
        date(2026, 6, 30): (0, 0),
        date(2026, 7, 1): (0, 0),
        date(2026, 7, 2): (1, 1),
    }


@pytest.mark.parametrize("name", ["Europe/Flensburg", "", "UTC+1", "../etc/passwd", "Mars/Olympus"])
def test_a_zone_that_is_not_an_iana_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        check_timezone(name)


def test_site_add_set_and_list_carry_the_zone(own_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "COLLECTOR_DATABASE_URL": own_url, "COLLECTOR_DATA_DIR": str(tmp_path)}
    site_id = collector(
        "site", "add", "--name", "Stadt", "--domain", "stadt.example", "--timezone", BERLIN, env=env
    ).strip()
    assert f"{site_id}\tStadt\tstadt.example\t{BERLIN}" in collector("site", "list", env=env)
    changed = collector("site", "set", site_id, "--timezone", "UTC", env=env)
    assert changed.strip() == f"{site_id}\tStadt\tstadt.example\tUTC"
    default = collector(
        "site",
        "add",
        "--name",
        "B",
        "--domain",
        "b.example",
        env={**env, "COLLECTOR_TIMEZONE": BERLIN},
    ).strip()
    assert f"{default}\tB\tb.example\t{BERLIN}" in collector("site", "list", env=env)
    refused = subprocess.run(
        [sys.executable, "-m", "collector", "site", "set", site_id, "--timezone", "Nowhere/City"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "not an IANA time zone" in refused.stderr

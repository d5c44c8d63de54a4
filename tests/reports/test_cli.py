"""`collector report` as a user runs it: a real process on the fixed hit set."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from tests.reports.conftest import Seeded
from tests.reports.test_reports import REPORTS


def run(seeded: Seeded, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": str(seeded.server.settings.database_url),
        "COLLECTOR_API_TOKEN": "cli-token",
    }
    return subprocess.run(
        [sys.executable, "-m", "collector", "report", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def period(seeded: Seeded) -> list[str]:
    return ["--site", str(seeded.site), "--from", str(seeded.d1), "--to", str(seeded.d2)]


def test_report_list_names_every_report(seeded: Seeded) -> None:
    assert run(seeded, "--list").stdout.split() == REPORTS


def test_pages_as_a_table(seeded: Seeded) -> None:
    done = run(seeded, "pages", *period(seeded))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "page      pageviews  unique_pageviews",
        "--------  ---------  ----------------",
        "/         3          3               ",
        "/about    3          2               ",
        "/contact  2          2               ",
    ]


def test_referrers_as_csv_with_limit(seeded: Seeded) -> None:
    done = run(seeded, "referrers", *period(seeded), "--limit", "2", "--format", "csv")
    assert done.stdout.splitlines() == [
        "type,name,visits,actions,bounce_rate",
        "campaign,spring,1,4,0.0",
        "direct,,1,1,100.0",
    ]


def test_summary_as_json(seeded: Seeded) -> None:
    done = run(seeded, "summary", *period(seeded), "--format", "json")
    assert orjson.loads(done.stdout) == [
        {
            "visits": 5,
            "pageviews": 8,
            "unique_pageviews": 7,
            "actions": 13,
            "bounce_rate": 40.0,
            "avg_visit_duration": 210,
            "actions_per_visit": 2.6,
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-02-30"], "not a date"),
        (["--from", "2024-03-02", "--to", "2024-03-01"], "from: after to"),
        (["--limit", "0"], "limit"),
        (["--limit", "100000"], "limit"),
        (["--site", "987654"], "unknown site"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(seeded: Seeded, args: list[str], message: str) -> None:
    done = run(seeded, "summary", "--site", str(seeded.site), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""

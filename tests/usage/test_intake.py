"""Fields -> a usage row: only what the policy lists, the site, the retention window."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from collector.config import Settings
from collector.tracking.params import Site
from collector.usage.intake import Intake, site_by_tag
from collector.usage.request import COLUMNS, Refusal

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CITY = Site(3, "City", ("city.example",))
OTHER = Site(4, "Other", ("other.example",))
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"


def line(
    path: str = "/a?name=anna#top",
    *,
    when: datetime = NOW,
    status: int = 200,
    referrer: str = "https://user:secret@search.example/find?q=anna#x",
    agent: str = FIREFOX,
    host: str | None = None,
) -> str:
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    text = f'203.0.113.57 - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "{referrer}" "{agent}"'
    return f"{host}:443 {text}" if host else text


def intake(site: Site | None = CITY, **settings: object) -> Intake:
    return Intake(
        replace(Settings(), **settings),  # type: ignore[arg-type]
        lambda: NOW,
        fmt=None if site is None else "combined",
        site=site,
        sites=lambda: [CITY, OTHER],
    )


def test_a_row_holds_exactly_the_fields_the_policy_lists() -> None:
    assert COLUMNS == (
        "site_id", "ts", "ip_prefix", "path", "status", "bytes", "referrer", "browser", "os", "bot"
    )  # fmt: skip
    row = intake().take(line())
    assert row == (3, NOW, "203.0.0.0", "/a", 200, 512, "https://search.example/find",
                   "Firefox", "Linux", False)  # fmt: skip
    assert "113.57" not in repr(row) and "secret" not in repr(row) and "anna" not in repr(row)


def test_query_strings_are_kept_only_when_configured_never_credentials() -> None:
    row = intake(usage_query_strings=True).take(line())
    assert isinstance(row, tuple)
    assert row[3] == "/a?name=anna" and row[6] == "https://search.example/find?q=anna"


def test_bots_are_flagged_by_user_agent_and_named_in_the_browser_field() -> None:
    row = intake().take(line(agent="Mozilla/5.0 (compatible; Googlebot/2.1)"))
    assert isinstance(row, tuple) and row[-1] is True and row[7] == "Googlebot"
    no_agent = intake().take(line(agent="-"))
    assert isinstance(no_agent, tuple) and no_agent[-1] is True  # as for tracking hits


def test_rows_older_than_retention_less_an_hour_or_from_the_future_are_refused() -> None:
    take = intake(usage_retention_days=7).take
    assert isinstance(
        take(line(when=NOW - timedelta(days=7) + timedelta(hours=1, seconds=1))), tuple
    )
    assert take(line(when=NOW - timedelta(days=7) + timedelta(minutes=59))) is Refusal.EXPIRED
    assert isinstance(take(line(when=NOW + timedelta(minutes=9))), tuple)
    assert take(line(when=NOW + timedelta(minutes=11))) is Refusal.FUTURE


def test_status_outside_100_to_599_is_refused() -> None:
    assert intake().take(line(status=600)) is Refusal.BAD_STATUS
    assert intake().take(line(status=99).replace(" 99 ", " 099 ")) is Refusal.BAD_STATUS


def test_an_import_keeps_lines_of_its_site_and_refuses_other_hosts() -> None:
    take = Intake(Settings(), lambda: NOW, fmt="apache", site=CITY).take
    assert isinstance(take(line(host="www.city.example")), tuple)
    assert take(line(host="other.example")) is Refusal.OTHER_HOST


def test_syslog_lines_find_their_site_by_tag_or_by_host() -> None:
    take = intake(site=None).take
    assert take(line(), "site4")[0] == 4  # type: ignore[index]
    assert take(line(), "site_3")[0] == 3  # type: ignore[index]
    assert take(line(host="www.other.example"))[0] == 4  # type: ignore[index]
    assert take(line(host="www.other.example"), "site3")[0] == 3  # type: ignore[index]
    assert take(line(), "nginx") is Refusal.UNKNOWN_SITE
    assert take(line(host="elsewhere.example")) is Refusal.UNKNOWN_SITE
    assert take(line(), "site99") is Refusal.UNKNOWN_SITE


@pytest.mark.parametrize("tag", ["site1", "site_12", "site123456789"])
def test_a_site_tag_names_the_site_id(tag: str) -> None:
    assert site_by_tag(tag) == int(tag.removeprefix("site").lstrip("_"))


@pytest.mark.parametrize("tag", [None, "", "nginx", "site", "site1a", "mysite1", "site1234567890"])
def test_other_tags_name_no_site(tag: str | None) -> None:
    assert site_by_tag(tag) is None


def test_nul_bytes_are_removed_before_parsing() -> None:
    row = intake().take(line(path="/a\0b"))
    assert isinstance(row, tuple) and row[3] == "/ab"


def test_paths_and_referrers_are_cut_to_1024_characters() -> None:
    row = intake().take(line(path="/" + "p" * 5000, referrer="https://r.example/" + "r" * 5000))
    assert isinstance(row, tuple) and len(row[3]) == 1024 and len(row[6]) == 1024  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("referrer", "kept"),
    [
        ("http://203.0.113.57:8080/admin?x", "http://203.0.0.0:8080/admin"),
        ("https://[2001:db8:1:2::3]/a", "https://[2001:db8:1::]/a"),
        ("https://203.0.113.57.nip.example/", "https://203.0.113.57.nip.example/"),  # a name
    ],
)
def test_a_referrer_on_an_address_has_the_address_truncated(referrer: str, kept: str) -> None:
    row = intake().take(line(referrer=referrer))
    assert isinstance(row, tuple) and row[6] == kept


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/lookup?ip=203.0.113.57&v6=2001:db8:1:2::3", "/lookup?ip=203.0.0.0&v6=2001:db8:1::"),
        ("/ip/203.0.113.57", "/ip/203.0.0.0"),
        ("/app-1.2.3.4.5.js?t=12:30:45", "/app-1.2.3.4.5.js?t=12:30:45"),  # not addresses
        ("/wiki/Special:Search:x", "/wiki/Special:Search:x"),
    ],
)
def test_an_address_written_into_a_path_or_query_is_truncated_too(path: str, kept: str) -> None:
    row = intake(usage_query_strings=True).take(line(path=path))
    assert isinstance(row, tuple) and row[3] == kept


def test_a_line_that_trips_a_bug_is_refused_and_logged_once_without_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A parser that fails as a bug would, with the line in its message (ValueError from
    # int() does that).
    def broken(text: str) -> object:
        raise ValueError(f"invalid literal: {text!r}")

    take = intake()
    take._parser.parse = broken  # type: ignore[assignment]
    assert take.take(line()) is Refusal.UNPARSABLE
    assert take.take(line()) is Refusal.UNPARSABLE
    assert caplog.text.count("usage_line=failed error=ValueError") == 1
    assert "203.0.113.57" not in caplog.text


def test_usage_lines_never_load_the_device_lists() -> None:
    # They take seconds to load and a usage row has no device: an Android app's agent (the
    # case that loads them for a hit) must not make an import pay for them.
    app = line(
        agent="Dalvik/2.1.0 (Linux; U; Android 9; SM-T590 Build/PPR1)", when=datetime.now(UTC)
    )
    script = (
        "from datetime import UTC, datetime\n"
        "from collector.config import Settings\n"
        "from collector.tracking import devices\n"
        "from collector.tracking.params import Site\n"
        "from collector.usage.intake import Intake\n"
        "site = Site(3, 'C', ('c.example',))\n"
        "intake = Intake(Settings(), lambda: datetime.now(UTC), site=site)\n"
        f"row = intake.take({app!r})\n"
        "assert type(row) is tuple, row\n"
        "print(devices.device_list.cache_info().currsize)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0"

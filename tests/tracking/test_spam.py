"""Referrer spam (tracking/spam.py): hits from hosts on the operator's blocklist (Matomo's
spammers.txt format) are answered as usual, not kept, and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector.appkeys import METRICS
from collector.config import ConfigError, Settings
from collector.tracking.spam import ReferrerSpam
from tests.support import CONSENT, running_app, settings_for

SPAMMERS = """\
# a comment, and blank lines, as spammers.txt may have

semalt.com
www.buttons-for-website.com
Darodar.COM.
"""


@pytest.fixture
def spam_list(tmp_path: Path) -> Path:
    path = tmp_path / "spammers.txt"
    path.write_text(SPAMMERS)
    return path


@pytest.mark.parametrize(
    ("referrer", "spam"),
    [
        ("https://semalt.com/", True),
        ("http://www.semalt.com/page?x=1", True),
        ("https://seo.semalt.com/", True),  # a listed host covers its subdomains
        ("https://buttons-for-website.com/", True),
        ("https://darodar.com./", True),
        ("https://notsemalt.com/", False),
        ("https://semalt.com.example.org/", False),
        ("https://www.google.com/", False),
        (None, False),
        ("", False),
        ("http://[::1", False),
    ],
)
def test_listed_hosts_and_their_subdomains_are_spam(
    spam_list: Path, referrer: str | None, spam: bool
) -> None:
    assert ReferrerSpam.read(spam_list).is_spam(referrer) is spam


async def test_a_spam_referrer_is_answered_as_usual_not_kept_and_counted(
    database_url: str, spam_list: Path
) -> None:
    async with running_app(settings_for(database_url, referrer_spam_list=spam_list)) as server:
        server.domain = "spamtest.example"
        server.site_id = await server.add_site("Spam", server.domain)
        metrics = server.app[METRICS]
        status, _, _ = await server.get(
            "/matomo.php", server.hit_params(urlref="https://semalt.com/"), cookies=CONSENT
        )
        assert status == 200
        await server.get(
            "/matomo.php", server.hit_params(urlref="https://blog.example/"), cookies=CONSENT
        )
        await server.flush()
        rows = await server.rows()
        assert [r["referrer"] for r in rows] == ["https://blog.example/"]
        assert metrics.value("hits_dropped", "referrer_spam") == 1


async def test_without_a_list_nothing_is_spam_and_the_start_says_so(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="collector.tracking.spam"):
        async with running_app(settings_for(database_url)) as server:
            server.domain = "nospam.example"
            server.site_id = await server.add_site("No spam list", server.domain)
            await server.get(
                "/matomo.php", server.hit_params(urlref="https://semalt.com/"), cookies=CONSENT
            )
            await server.flush()
            assert len(await server.rows()) == 1
    assert "referrer_spam=off" in caplog.text


def test_a_missing_list_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COLLECTOR_REFERRER_SPAM_LIST"):
        Settings.from_env({"COLLECTOR_REFERRER_SPAM_LIST": str(tmp_path / "missing.txt")})

"""Countries from the truncated address only (tracking/geo.py), with databases the tests
build (tests/support.write_geoip): the full address never reaches the lookup."""

from __future__ import annotations

import logging
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import pytest

from collector.cli import start_banner
from collector.config import ConfigError, Settings
from collector.privacy.notice import privacy_notice
from collector.tracking.geo import GeoIP, Location
from tests.support import CONSENT, running_app, settings_for, write_geoip

VISITOR = "203.0.113.57"
# The visitor's own /24 is in France; the block the truncated address (level 2: 203.0.0.0)
# names is in Bavaria. A lookup of the full address says FR, of the truncated one DE.
NETWORKS = {
    "203.0.0.0/24": {"country": {"iso_code": "DE"}, "subdivisions": [{"iso_code": "BY"}]},
    "203.0.113.0/24": {"country": {"iso_code": "FR"}, "subdivisions": [{"iso_code": "IDF"}]},
    "198.51.0.0/16": {"country": {"iso_code": "at"}, "subdivisions": [{"names": {"en": "Wien"}}]},
    "192.0.2.0/24": {"country": {"iso_code": "<script>"}},
    "2001:db8::/32": {"country": {"iso_code": "NL"}},
}


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return write_geoip(tmp_path / "geo.mmdb", NETWORKS)


async def _stored_location(database_url: str, database: Path, level: int) -> tuple:
    settings = settings_for(
        database_url,
        geoip_db=database,
        ip_mask_level=level,
        trusted_proxies=(ip_network("127.0.0.1/32"),),
    )
    async with running_app(settings) as server:
        server.domain = f"geo-{level}.example"
        server.site_id = await server.add_site("Geo", server.domain)
        status, _, _ = await server.get(
            "/matomo.php",
            server.hit_params(),
            cookies=CONSENT,
            headers={"X-Forwarded-For": VISITOR},
        )
        assert status == 200
        await server.flush()
        [row] = await server.rows("SELECT * FROM hits WHERE site_id = $1")
        return str(row["ip_prefix"]), row["country"], row["region"]


async def test_the_full_address_never_reaches_the_lookup(database_url: str, database: Path) -> None:
    # level 2: 203.0.0.0 is looked up and gives DE; the full address would have given FR.
    # The database's network is a /24, the prefix a /16: no region (it would be a guess).
    assert await _stored_location(database_url, database, 2) == ("203.0.0.0", "DE", None)


async def test_at_level_one_the_prefix_names_the_visitors_own_block(
    database_url: str, database: Path
) -> None:
    # the /24 the prefix keeps is the database's network: its region holds for all of it
    assert await _stored_location(database_url, database, 1) == ("203.0.113.0", "FR", "FR-IDF")


def test_a_region_only_where_the_database_network_holds_the_whole_prefix(
    database: Path,
) -> None:
    level2 = GeoIP(database, mask_level=2)
    assert level2.locate("203.0.0.0") == Location("DE", None)  # a /24 inside the /16
    assert level2.locate("198.51.0.0") == Location("AT", "AT-Wien")  # the /16 is the network
    level1 = GeoIP(database, mask_level=1)
    assert level1.locate("203.0.0.0") == Location("DE", "DE-BY")


def test_what_the_database_says_is_checked_before_it_becomes_a_report_key(
    database: Path,
) -> None:
    geoip = GeoIP(database, mask_level=2)
    assert geoip.locate("192.0.2.0") == Location(None, None)  # not an ISO code
    assert geoip.locate("100.64.0.0") == Location(None, None)  # not in the database
    assert geoip.locate(None) == Location(None, None)
    assert geoip.locate("not an address") == Location(None, None)


def test_ipv6_prefixes_are_looked_up_too(database: Path) -> None:
    assert GeoIP(database, mask_level=2).locate("2001:db8:1234::") == Location("NL", None)


def test_lookups_are_cached_per_prefix_in_a_bounded_cache(database: Path) -> None:
    geoip = GeoIP(database, mask_level=2, cache_size=8)
    for i in range(20):
        geoip.locate(f"10.{i}.0.0")
    geoip.locate("203.0.0.0")
    geoip.locate("203.0.0.0")
    info = geoip.locate.cache_info()
    assert info.currsize == 8 and info.hits == 1


def test_a_missing_database_file_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COLLECTOR_GEOIP_DB"):
        Settings.from_env({"COLLECTOR_GEOIP_DB": str(tmp_path / "missing.mmdb")})


async def test_without_a_database_countries_are_off_and_the_start_says_so(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(database_url)
    banner = start_banner(
        "http://127.0.0.1:8000", "http://localhost:8000", None, settings, "python"
    )
    assert "Countries: off (COLLECTOR_GEOIP_DB is not set" in banner
    with caplog.at_level(logging.INFO, logger="collector.tracking.geo"):
        async with running_app(settings) as server:
            server.domain = "nogeo.example"
            server.site_id = await server.add_site("No geo", server.domain)
            await server.get("/matomo.php", server.hit_params(), cookies=CONSENT)
            await server.flush()
            [row] = await server.rows()
    assert "geoip=off" in caplog.text
    assert row["country"] is None


async def test_with_a_database_the_start_names_it(
    database_url: str, database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(database_url, geoip_db=database)
    banner = start_banner(
        "http://127.0.0.1:8000", "http://localhost:8000", None, settings, "python"
    )
    assert f"Countries: from {database}, looked up with the truncated address only" in banner
    with caplog.at_level(logging.INFO, logger="collector.tracking.geo"):
        async with running_app(settings):
            pass
    assert "geoip=on database=geo.mmdb (Test-City, built " in caplog.text


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_privacy_notice_mentions_countries_only_when_they_are_on(
    database: Path, lang: str
) -> None:
    off = privacy_notice(Settings(), lang)
    on = privacy_notice(replace(Settings(), geoip_db=database), lang)
    word = {"en": "country", "de": "Land"}[lang]
    assert word not in off
    assert (
        word in on
        and {"en": "shortened IP address only", "de": "allein aus der gekürzten"}[lang] in on
    )

"""Promise P2 across everything at once: realistic traffic from many clients (IPv4, IPv6) via a
trusted proxy, good and bad requests, rate limiting, a database outage with a spill file and
503s, countries looked up; afterwards no full client address is in the database, the logs or
the spill file."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from collector.appkeys import METRICS, WRITER
from collector.storage.spill import orphans
from tests.support import (
    CONSENT,
    Running,
    StoppablePostgres,
    dump_database,
    request,
    running_app,
    settings_for,
    write_geoip,
)

V4 = [f"203.0.{i}.{100 + i}" for i in range(1, 25)]
V6 = [f"2001:db8:{i:x}:beef:{i:x}:cafe:{i:x}:{i + 1:x}" for i in range(1, 25)]
CLIENTS = V4 + V6


def _forms(address: str) -> set[str]:
    """The ways an address may be written: as sent, canonical, and (IPv6) exploded."""
    ip = ipaddress.ip_address(address)
    forms = {address, str(ip)}
    if ip.version == 6:
        forms.add(ip.exploded)
    return forms


async def _traffic(srv: Running, client: str, n: int) -> list[int]:
    """What one browser (and some junk) sends; the statuses it gets."""
    proxy = {"X-Forwarded-For": f"{client}, 127.0.0.1"}
    statuses = []
    page = f"https://{srv.domain}/p{n}"
    for params, cookies in (
        (srv.hit_params(url=page, action_name=f"n{n}", cip=client), CONSENT),
        (srv.hit_params(url=page), None),  # no consent
        ({"idsite": "x", "rec": 1, "url": page}, CONSENT),  # bad request
        (srv.hit_params(url=f"https://{client}/spam", urlref=f"http://{client}/"), CONSENT),
        (srv.hit_params(url=page, e_c="c", e_a="a", e_n=f"{n}"), CONSENT),
    ):
        status, _, _ = await srv.get("/matomo.php", params, cookies=cookies, headers=proxy)
        statuses.append(status)
    bulk = orjson.dumps(
        {"requests": [f"?idsite={srv.site_id}&rec=1&url={quote(page)}", "?idsite=bad"]}
    )
    status, _, _ = await request(
        "POST",
        srv.base + "/matomo.php",
        cookies=CONSENT,
        data=bulk,
        headers={"Forwarded": f'for="[{client}]:443"' if ":" in client else f"for={client}"},
    )
    statuses.append(status)
    return statuses


async def test_no_full_client_address_in_database_logs_or_spill_file(
    own_postgres: StoppablePostgres, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A countries database whose entry for each full address (a /32, a /128) names that
    # address as its region: a lookup of a full address would put it into the database.
    networks: dict[str, dict] = {}
    for client in CLIENTS:
        ip = ipaddress.ip_address(client)
        prefix = ipaddress.ip_network(f"{client}/{24 if ip.version == 4 else 64}", strict=False)
        networks[str(prefix)] = {
            "country": {"iso_code": "DE"},
            "subdivisions": [{"iso_code": "BY"}],
        }
        networks[f"{client}/{ip.max_prefixlen}"] = {
            "country": {"iso_code": "FR"},
            "subdivisions": [{"names": {"en": client}}],
        }
    geoip = write_geoip(tmp_path / "geo.mmdb", networks)  # (its writer logs what it writes)
    caplog.set_level(logging.DEBUG)
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        geoip_db=geoip,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
        ip_mask_level=1,  # the least truncation: a /24 or /64 per client here
        queue_size=8,
        batch_size=4,
        flush_interval_ms=20,
        spill_interval_ms=20,
        spill_max_bytes=4000,
        rate_limit=50,
        rate_limit_burst=16,  # the test clock stands still: no refill
    )
    statuses: list[int] = []
    async with running_app(settings) as srv:
        srv.domain = f"noip-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("noip", srv.domain)
        for n, client in enumerate(CLIENTS):
            statuses += await _traffic(srv, client, n)
        # one client's prefix over its rate
        for _ in range(3):
            statuses += await _traffic(srv, V6[0], 0)
        await srv.flush()

        own_postgres.stop()
        for n, client in enumerate(CLIENTS):
            statuses += await _traffic(srv, client, 100 + n)
        spill = b"".join(p.read_bytes() for p in orphans(tmp_path / "spill"))
        own_postgres.start()
        await srv.flush()
        dump = await dump_database(srv.pool)
        places = {
            (r["country"], r["region"])
            for r in await srv.rows("SELECT DISTINCT country, region FROM hits WHERE site_id = $1")
        }
        metrics = srv.app[METRICS]
        assert metrics.value("hits_spilled") > 0 and metrics.value("hits_replayed") > 0
        assert srv.app[WRITER].depth == 0
    assert {200, 400, 429, 503} <= set(statuses)
    assert spill and dump
    # Every hit's prefix was looked up, never a full address (FR, with the address as region).
    # No region: the /32 inside splits the /24, so the database's network holding the prefix's
    # first address is smaller than the prefix, and a region would be a guess.
    assert places == {("DE", None)}
    logs = caplog.text
    assert "GET /matomo.php" in logs  # the access log was captured
    found = [
        (form, where)
        for client in CLIENTS
        for form in _forms(client)
        for where, text in (("database", dump), ("logs", logs), ("spill", spill.decode()))
        if form in text
    ]
    assert found == []

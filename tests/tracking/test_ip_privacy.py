"""Promise P2 end to end: what is stored and logged is the truncated address only."""

from __future__ import annotations

import ipaddress
import logging
import secrets

import pytest

from tests.support import CONSENT, dump_database, running_app, settings_for

CLIENTS = {
    "198.51.100.77": {1: "198.51.100.0", 2: "198.51.0.0", 3: "198.0.0.0"},
    "2001:db8:abcd:1234:5678:9abc:def0:4242": {
        1: "2001:db8:abcd:1234::",
        2: "2001:db8:abcd::",
        3: "2001:d00::",
    },
}


@pytest.mark.parametrize("level", [1, 2, 3])
async def test_stored_address_is_truncated_at_each_level_via_trusted_proxy(
    database_url: str, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(
        database_url,
        ip_mask_level=level,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    async with running_app(settings) as srv:
        srv.domain = f"ip-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("ip", srv.domain)
        for client in CLIENTS:
            status, _, _ = await srv.get(
                "/matomo.php",
                srv.hit_params(),
                cookies=CONSENT,
                headers={"X-Forwarded-For": client},
            )
            assert status == 200
            # a bad request from the same client: error paths must not print it either
            await srv.get(
                "/matomo.php", {"idsite": "x"}, cookies=CONSENT, headers={"X-Forwarded-For": client}
            )
        await srv.flush()
        stored = sorted(str(r["ip_prefix"]) for r in await srv.rows())
        dump = await dump_database(srv.pool)
    assert stored == sorted(masks[level] for masks in CLIENTS.values())
    for client in CLIENTS:
        assert client not in dump
        assert client not in caplog.text


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(database_url: str) -> None:
    settings = settings_for(database_url)  # no trusted proxies
    async with running_app(settings) as srv:
        srv.domain = f"ip-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("ip", srv.domain)
        await srv.get(
            "/matomo.php",
            srv.hit_params(),
            cookies=CONSENT,
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
        await srv.flush()
        [row] = await srv.rows()
    assert str(row["ip_prefix"]) == "127.0.0.0"  # the real peer, truncated at level 2

"""Promise P2 across everything at once: realistic traffic from many clients (IPv4, IPv6) via a
trusted proxy, good and bad requests, rate limiting, a database outage with a spill file and
503s, countries looked up; afterwards no full client address is in the database, the logs,
the spill file or (COLLECTOR_DURABILITY=fsync) the journal. And the same for the web server's
access log (usage data): syslog over UDP and TCP, an outage, lines of every format and every
refusal, an import."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import logging
import os
import secrets
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from collector.appkeys import METRICS, USAGE_LISTENER, WRITER
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


async def test_no_full_client_address_in_the_journal_in_fsync_mode(
    own_postgres: StoppablePostgres, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """COLLECTOR_DURABILITY=fsync: the journal holds the queue's rows, already truncated,
    also the segments handed to replay in an outage."""
    caplog.set_level(logging.DEBUG)
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        durability="fsync",
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
        ip_mask_level=1,
        queue_size=8,
        batch_size=4,
        flush_interval_ms=20,
        spill_interval_ms=20,
    )
    journal = b""
    async with running_app(settings) as srv:
        srv.domain = f"noip-j-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("noip journal", srv.domain)
        for phase in ("up", "outage"):
            if phase == "outage":
                own_postgres.stop()
            for n, client in enumerate(CLIENTS):
                await _traffic(srv, client, n)
            journal += b"".join(p.read_bytes() for p in (tmp_path / "spill").glob("*.journal"))
        own_postgres.start()
        await srv.flush()
        assert srv.app[METRICS].value("hits_spilled") > 0  # segments went to replay
    assert journal.count(b"\n") > 2 * len(CLIENTS)
    assert b'"203.0.1.0"' in journal  # the truncated address is what is kept
    found = [
        (form, where)
        for client in CLIENTS
        for form in _forms(client)
        for where, text in (("journal", journal.decode()), ("logs", caplog.text))
        if form in text
    ]
    assert found == []


def _usage_lines(domain: str, client: str, n: int) -> list[str]:
    """What web servers send for one client, good and bad, in every format."""
    stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    request = f'"GET /u{n}?ip={client} HTTP/1.1" 200 10 "http://{client}:8080/from" "curl/8"'
    caddy = {
        "ts": datetime.now(UTC).timestamp(),
        "request": {"client_ip": client, "remote_ip": client, "host": domain, "uri": f"/c{n}"},
        "status": 404,
        "size": 1,
    }
    return [
        f"{client} - - [{stamp}] {request}",  # combined, site by tag
        f"{domain}:443 {client} - - [{stamp}] {request}",  # vhost
        orjson.dumps(caddy).decode(),
        orjson.dumps({**caddy, "request": {"remote_addr": f"[{client}]:1"}}).decode(),
        f"{client} - - [{stamp}] broken",  # refused: unparsable
        f"{client} - - [31/Feb/2026:00:00:00 +0000] {request}",  # refused: bad time
        orjson.dumps({**caddy, "ts": client}).decode(),  # refused: bad time
        f"{client} - - [{stamp}] {request}".replace(" 200 ", " 999 "),  # refused: status
        f"other.example:80 {client} - - [{stamp}] {request}",  # import: another host
        f"{client} " + "x" * 20_000,  # refused: too long
    ]


async def test_no_full_client_address_from_web_server_logs_anywhere(
    own_postgres: StoppablePostgres, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The usage path: syslog over UDP and TCP during a database outage too, and an import;
    no address in the database, the logs, or what the import command prints."""
    caplog.set_level(logging.DEBUG)
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        ip_mask_level=1,
        usage_log_listen=("127.0.0.1", 0),
        usage_query_strings=True,  # the query holds the address too: kept, so it must go
        queue_size=16,
        batch_size=4,
        flush_interval_ms=20,
    )
    async with running_app(settings) as srv:
        domain = f"noip-usage-{secrets.token_hex(3)}.example"
        site_id = await srv.add_site("noip usage", domain)
        listener = srv.app[USAGE_LISTENER]
        assert listener is not None
        tag = f"<14>1 - host site{site_id} - - - "
        _, tcp = await asyncio.open_connection("127.0.0.1", listener.port)
        taken = up = 0  # messages the listener takes in (the over-long one per client is not)
        for phase in ("up", "outage"):
            if phase == "outage":
                own_postgres.stop()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                for n, client in enumerate(CLIENTS):
                    lines = _usage_lines(domain, client, n)
                    for line in lines:
                        message = (tag + line).encode()
                        if phase == "up":
                            udp.sendto(message, ("127.0.0.1", listener.port))
                        else:
                            tcp.write(message + b"\n")
                    taken += len(lines) - 1
                    unknown = f"<190>Nov 28 12:00:00 nginx: {lines[-2]}"  # no site tag
                    udp.sendto(unknown.encode(), ("127.0.0.1", listener.port))
                    taken += 1
            if phase == "up":
                await listener.wait_received(taken)
                up = taken
            else:  # the first lines are taken, then nothing can be written
                await listener.wait_received(up + 8)
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(listener.writer.flush(), 1.0)
        # Over TCP the listener stops reading while the queue is full and the database away:
        # the rest of the lines are taken once it is back.
        own_postgres.start()
        await tcp.drain()
        await listener.wait_received(taken)
        while listener.writer.depth or any(s.pending for s in listener.streams):
            await listener.writer.flush()  # and what waited in the TCP connection
        tcp.close()
        log_file = tmp_path / "import.log.gz"
        log_file.write_bytes(
            gzip.compress(
                "\n".join(line for c in CLIENTS for line in _usage_lines(domain, c, 9)).encode()
            )
        )
        env = {**os.environ, "COLLECTOR_DATABASE_URL": own_postgres.dsn,
               "COLLECTOR_IP_MASK_LEVEL": "1", "COLLECTOR_USAGE_QUERY_STRINGS": "true"}  # fmt: skip
        imported = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "collector", "usage", "import", str(log_file), "--site",
             str(site_id), "--format", "apache"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert imported.returncode == 0, imported.stderr
        dump = await dump_database(srv.pool)
        metrics = srv.app[METRICS]
        assert metrics.value("usage_write_retries") > 0  # the outage was felt
        for reason in ("unparsable", "bad_time", "bad_status", "unknown_site", "too_long"):
            assert metrics.value("usage_lines_refused", reason) > 0, reason
    assert "usage=database_unreachable" in caplog.text
    assert "203.0.1.0" in dump and "2001:db8:1:beef::" in dump  # stored, truncated
    printed = imported.stdout + imported.stderr
    assert "other_host" in printed and "stored" in printed
    found = [
        (form, where)
        for client in CLIENTS
        for form in _forms(client)
        for where, text in (("database", dump), ("logs", caplog.text), ("import", printed))
        if form in text
    ]
    assert found == []

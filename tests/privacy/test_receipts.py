"""Consent receipts in a real PostgreSQL: purge by age, counts per day; bounded over HTTP."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import UTC, date, datetime, timedelta

import orjson

from collector.appkeys import METRICS
from collector.privacy.receipts import (
    Choice,
    consent_stats,
    new_receipt,
    purge_receipts,
    write_receipt,
)
from tests.privacy.conftest import Answer, Jar, send
from tests.support import Running, running_app, settings_for


async def test_purge_removes_receipts_older_than_the_cutoff_only(server: Running) -> None:
    cutoff = datetime(2025, 6, 1, tzinfo=UTC)
    times = [
        cutoff - timedelta(days=400),
        cutoff - timedelta(seconds=1),
        cutoff,
        cutoff + timedelta(days=1),
    ]
    async with server.pool.acquire() as conn:
        for ts in times:
            await write_receipt(conn, new_receipt(server.site_id, Choice.OPT_IN, ts, "1"))
        removed = await purge_receipts(conn, cutoff)
        again = await purge_receipts(conn, cutoff)
        left = await conn.fetch(
            "SELECT ts FROM consent_receipts WHERE site_id = $1 ORDER BY ts", server.site_id
        )
    assert removed >= 2 and again == 0
    assert [r["ts"] for r in left] == times[2:]


async def test_stats_count_opt_ins_and_outs_per_day_with_empty_days(server: Running) -> None:
    day = datetime(2026, 3, 10, 23, 59, tzinfo=UTC)
    choices = [
        (day, Choice.OPT_IN),
        (day, Choice.OPT_IN),
        (day, Choice.OPT_IN),
        (day, Choice.OPT_OUT),
        (day + timedelta(days=2), Choice.OPT_OUT),
    ]
    async with server.pool.acquire() as conn:
        for ts, choice in choices:
            await write_receipt(conn, new_receipt(server.site_id, choice, ts, "1"))
        await write_receipt(conn, new_receipt(0, Choice.OPT_IN, day, "1"))  # another "site"
        rows = await consent_stats(conn, server.site_id, date(2026, 3, 10), date(2026, 3, 12))
    assert rows == [
        {"day": "2026-03-10", "opt_ins": 3, "opt_outs": 1, "opt_in_rate": 0.75},
        {"day": "2026-03-11", "opt_ins": 0, "opt_outs": 0, "opt_in_rate": None},
        {"day": "2026-03-12", "opt_ins": 0, "opt_outs": 1, "opt_in_rate": 0.0},
    ]


async def _opt(srv: Running, path: str, client: str = "") -> Answer:
    headers = {"Origin": f"https://www.{srv.domain}", "Accept": "application/json"}
    if client:
        headers["X-Forwarded-For"] = client
    return await send("POST", srv.base + path, headers=headers)


async def _receipt_count(srv: Running) -> int:
    rows = await srv.rows("SELECT count(*) AS n FROM consent_receipts WHERE site_id = $1")
    return int(rows[0]["n"])


async def test_a_client_forging_origin_gets_a_bounded_number_of_receipts(server: Running) -> None:
    # The flood: a script, not a browser, sending a configured site's Origin.
    answers = [await _opt(server, "/optin") for _ in range(100)]
    statuses = [a.status for a in answers]
    assert statuses == [200] * 60 + [429] * 40  # COLLECTOR_RECEIPT_RATE_LIMIT: 60 a minute
    assert answers[-1].headers["Retry-After"] == "1"
    assert answers[-1].set_cookies == []
    assert await _receipt_count(server) == 60
    assert server.app[METRICS].value("receipts_limited", "optin") == 40


async def test_receipts_are_bounded_per_ip_prefix_and_in_all_but_an_opt_out_still_works(
    database_url: str,
) -> None:
    settings = settings_for(
        database_url,
        receipt_rate_limit=2,
        receipt_max_per_hour=3,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    async with running_app(settings) as srv:
        srv.domain = f"limit-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("Limit", srv.domain)
        first = [(await _opt(srv, "/optin", f"198.51.100.{i}")).status for i in (1, 2)]
        same_prefix = await _opt(srv, "/optin", "198.51.7.7")  # one /16 at level 2
        other_prefix = await _opt(srv, "/optin", "203.0.113.9")
        over_total = await _opt(srv, "/optin", "192.0.2.1")
        withdrawal = await _opt(srv, "/optout", "192.0.2.1")
        jar = Jar({"collector_consent": "ab" * 16})
        jar.take(withdrawal)
        await srv.get("/matomo.php", srv.hit_params(), cookies=jar.values)
        await srv.flush()
        hits = await srv.rows()
        count = await _receipt_count(srv)
    assert first == [200, 200]
    assert (same_prefix.status, same_prefix.headers["Retry-After"]) == (429, "30")
    assert other_prefix.status == 200
    assert (over_total.status, over_total.headers["Retry-After"]) == (429, "1200")
    assert count == 3
    body = orjson.loads(withdrawal.body)
    assert (withdrawal.status, body["consent"], body["receipt_id"]) == (200, False, None)
    assert "no receipt" in body["note"]
    # consent cleared, vetoes set (ours, and Matomo's forgetConsentGiven's)
    assert jar.values.keys() == {"collector_optout", "mtm_consent_removed"}
    assert jar.values["collector_optout"] == "unrecorded"
    assert hits == []

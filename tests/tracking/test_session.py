"""Session linking (P3): a browser-session cookie, visits split after 30 minutes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from collector.reports.runner import run_report
from collector.tracking.session import session_from_cookie
from tests.support import CONSENT, Running


def _cookie_attrs(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts[1:]}


async def test_first_consented_hit_sets_a_browser_session_cookie(server: Running) -> None:
    _, headers, _ = await server.get("/matomo.php", server.hit_params(), cookies=CONSENT)
    cookie = headers["Set-Cookie"]
    name, _, value = cookie.split(";")[0].partition("=")
    assert name == "collector_session"
    assert session_from_cookie(value) is not None
    attrs = _cookie_attrs(cookie)
    assert "httponly" in attrs
    assert attrs["samesite"] == "Lax"
    assert attrs["path"] == "/"
    assert "max-age" not in attrs and "expires" not in attrs  # dies with the browser session
    assert "secure" not in attrs  # plain http here; see the https test


async def test_session_cookie_is_secure_over_https_via_trusted_proxy(
    database_url: str,
) -> None:
    import ipaddress
    import secrets

    from tests.support import running_app, settings_for

    settings = settings_for(database_url, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    async with running_app(settings) as srv:
        srv.domain = f"s-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("tls", srv.domain)
        _, headers, _ = await srv.get(
            "/matomo.php",
            srv.hit_params(),
            cookies=CONSENT,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"},
        )
        assert "secure" in _cookie_attrs(headers["Set-Cookie"])


async def test_no_session_cookie_without_consent(server: Running) -> None:
    _, headers, _ = await server.get("/matomo.php", server.hit_params())
    assert "Set-Cookie" not in headers


async def test_hits_with_the_cookie_share_one_session_and_no_new_cookie(server: Running) -> None:
    _, headers, _ = await server.get("/matomo.php", server.hit_params(), cookies=CONSENT)
    value = headers["Set-Cookie"].split(";")[0].partition("=")[2]
    jar = {**CONSENT, "collector_session": value}
    _, headers2, _ = await server.get("/matomo.php", server.hit_params(), cookies=jar)
    await server.roll_up()
    assert "Set-Cookie" not in headers2
    sessions = {r["session_id"] for r in await server.rows()}
    assert sessions == {uuid.UUID(hex=value)}


async def test_a_forged_session_value_is_replaced_not_stored(server: Running) -> None:
    jar = {**CONSENT, "collector_session": "../../etc/passwd"}
    _, headers, _ = await server.get("/matomo.php", server.hit_params(), cookies=jar)
    assert headers["Set-Cookie"].startswith("collector_session=")


async def _visits(server: Running) -> int:
    day = server.clock.now.date()
    async with server.pool.acquire() as conn:
        [row] = await run_report(conn, "summary", server.site_id, day - timedelta(days=1), day)
    return int(row["visits"])


async def test_a_gap_over_30_minutes_starts_a_new_visit(server: Running) -> None:
    start = server.clock.now - timedelta(hours=2)
    jar = dict(CONSENT)
    for minutes in (0, 10, 39, 70, 101):  # gaps: 10, 29, 31, 31 -> visits start at 0, 70, 101
        server.clock.now = start + timedelta(minutes=minutes)
        _, headers, _ = await server.get("/matomo.php", server.hit_params(), cookies=jar)
        if "Set-Cookie" in headers:
            jar["collector_session"] = headers["Set-Cookie"].split(";")[0].partition("=")[2]
    await server.roll_up()
    assert await _visits(server) == 3


async def test_new_visit_parameter_forces_a_new_visit(server: Running) -> None:
    _, headers, _ = await server.get("/matomo.php", server.hit_params(), cookies=CONSENT)
    jar = {**CONSENT, "collector_session": headers["Set-Cookie"].split(";")[0].split("=")[1]}
    # a second later: hits of one instant are ordered by row position, which is no promise
    # about arrival order between two COPYs (free space from erased rows may come first)
    server.clock.now += timedelta(seconds=1)
    await server.get("/matomo.php", server.hit_params(new_visit=1), cookies=jar)
    await server.roll_up()
    assert await _visits(server) == 2

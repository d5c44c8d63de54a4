"""A corpus of nasty requests over a raw socket: never a 5xx (503 aside), nothing stored,
memory bounded. Also the HTTP parser limits and refusals the README documents."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import logging
import secrets
from collections.abc import AsyncIterator

import pytest

from collector.app import HTTP_LIMITS
from tests.support import CHROME_UA, CONSENT, Running, running_app, settings_for


async def raw(srv: Running, data: bytes) -> int:
    """Send bytes as they are; the status of the answer (0: closed without one)."""
    port = int(srv.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        line = await reader.readline()
    except ConnectionResetError:
        return 0
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0


def _get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: x", "Connection: close", *headers, "", ""]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


def _post(body: bytes, *headers: str) -> bytes:
    head = [
        "POST /matomo.php HTTP/1.1",
        "Host: x",
        "Connection: close",
        "Cookie: collector_consent=yes",
        f"Content-Length: {len(body)}",
        *headers,
        "",
        "",
    ]
    return "\r\n".join(head).encode() + body


def corpus(site: int, domain: str) -> dict[str, bytes]:
    hit = f"/matomo.php?idsite={site}&rec=1&url=https://{domain}/"
    cookie = "Cookie: collector_consent=yes"
    ok = f"?idsite={site}&rec=1&url=https://{domain}/"
    return {
        "huge header": _get(hit, "X-Big: " + "a" * 100_000),
        "many headers": _get(hit, *(f"X-H{i}: v" for i in range(500))),
        "huge request line": _get(hit + "&x=" + "a" * 200_000),
        "long query": _get(hit + "&x=" + "a" * 16_500),
        "many params": _get(hit + "&" + "&".join(f"p{i}=1" for i in range(2000))),
        "huge cookie": _get(hit, "Cookie: " + "; ".join(f"c{i}=v" for i in range(3000))),
        "NUL in query": _get(hit + "&action_name=a%00b", cookie),
        "raw NUL in path": _get("/matomo.php\x00?idsite=1"),
        "overlong UTF-8": _get(hit + "&action_name=%C0%AF", cookie),
        "CESU surrogate": _get(hit + "&action_name=%ED%A0%80", cookie),
        "percent garbage": _get(hit + "&action_name=%%%zz%4", cookie),
        "raw high bytes": _get(hit + "&action_name=\udcff\udcfe", cookie),
        "giant idsite": _get(f"/matomo.php?idsite={'9' * 400}&rec=1", cookie),
        "negative idsite": _get(f"/matomo.php?idsite=-{site}&rec=1", cookie),
        "giant e_v": _get(hit + "&e_c=a&e_a=b&e_v=1e400", cookie),
        "giant search_count": _get(hit + "&search=x&search_count=" + "9" * 500, cookie),
        "cdt huge number": _get(hit + "&cdt=" + "9" * 30, cookie),
        "cdt year 9999 offset": _get(hit + "&cdt=9999-12-31T23:59:59-23:59", cookie),
        "cdt year 1 offset": _get(hit + "&cdt=0001-01-01T00:00:00%2B23:59", cookie),
        "cdt far past": _get(hit + "&cdt=1000000000", cookie),
        "cdt negative": _get(hit + "&cdt=-1", cookie),
        "javascript url": _get(f"/matomo.php?idsite={site}&rec=1&url=javascript:1", cookie),
        "foreign domain": _get(
            f"/matomo.php?idsite={site}&rec=1&url=https://spam.example/", cookie
        ),
        "bad ipv6 url": _get(f"/matomo.php?idsite={site}&rec=1&url=http://[::1", cookie),
        "deep JSON": _post(b'{"requests":' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
        "non-JSON bulk": _post(b"{requests: nope"),
        "bulk not a list": _post(b'{"requests": {"a": 1}}'),
        "bulk lone surrogate": _post(b'{"requests": ["' + ok.encode() + b'&action_name=\\ud800"]}'),
        "bulk raw surrogate": _post(b'{"requests": ["' + ok.encode() + b'\xed\xa0\x80"]}'),
        "bulk of numbers": _post(b'{"requests": [1e999, -0, 18446744073709551616]}'),
        "bulk too many": _post(b'{"requests": [' + b",".join([b'"?a=1"'] * 5000) + b"]}"),
        "body too large": _post(b"a=" + b"x" * 400_000),
        "body not UTF-8": _post(b"\xff\xfe=\xc0\xaf"),
        "wrong content length": _post(b"idsite=1", "Content-Length: 3"),
        "chunked garbage": b"POST /matomo.php HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        "PUT": _get(hit).replace(b"GET", b"PUT", 1),
        "DELETE": _get(hit).replace(b"GET", b"DELETE", 1),
        "unknown method": _get(hit).replace(b"GET", b"BREW", 1),
        "unknown path": _get("/wp-login.php?x=1"),
        "path traversal": _get("/../../etc/passwd"),
        "not HTTP": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",
        "HTTP/0.9": b"GET /\r\n\r\n",
    }


async def test_bad_input_corpus_never_gets_a_5xx_and_stores_nothing(database_url: str) -> None:
    settings = settings_for(database_url, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    async with running_app(settings) as srv:
        srv.domain = f"bad-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("bad", srv.domain)
        answers = {
            name: await raw(srv, data) for name, data in corpus(srv.site_id, srv.domain).items()
        }
        await srv.flush()
        stored = await srv.rows()
        assert (await srv.get("/healthz"))[0] == 200  # still up
    server_errors = {n: s for n, s in answers.items() if s >= 500 and s != 503}
    assert server_errors == {}
    refused = {n: s for n, s in answers.items() if not 400 <= s < 500}
    assert refused == {}  # each one got a clear 4xx, none slipped through as 200
    assert stored == []


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_memory_stays_bounded_under_repeated_bad_input(database_url: str) -> None:
    async with running_app(settings_for(database_url)) as srv:
        srv.domain = f"mem-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("mem", srv.domain)
        nasty = corpus(srv.site_id, srv.domain)
        for data in nasty.values():  # warm up: caches, parser tables
            await raw(srv, data)
        before = _rss_kib()
        for _ in range(15):
            for data in nasty.values():
                await raw(srv, data)
        after = _rss_kib()
    # generous: the corpus sends about 15 x 1.5 MB; a leak of the bodies would pass this
    assert after - before < 64 * 1024, (before, after)


@pytest.mark.parametrize(
    ("name", "size", "status"),
    [
        ("request line", HTTP_LIMITS["max_line_size"] + 100, 400),
        ("header field", HTTP_LIMITS["max_field_size"] + 100, 400),
    ],
)
async def test_http_parser_limits_refuse_oversized_lines(
    server: Running, name: str, size: int, status: int
) -> None:
    if name == "request line":
        data = _get("/matomo.php?x=" + "a" * size)
    else:
        data = _get("/matomo.php", "X-Big: " + "a" * size)
    assert await raw(server, data) == status


async def test_query_within_the_line_limit_but_over_16_kib_gets_our_414(server: Running) -> None:
    status = await raw(server, _get("/matomo.php?x=" + "a" * 16_500, "Cookie: collector_consent=1"))
    assert status == 414


async def test_a_hit_right_at_the_limits_is_still_accepted(server: Running) -> None:
    url = f"https://{server.domain}/" + "a" * (4096 - len(f"https://{server.domain}/"))
    status, _, _ = await server.get(
        "/matomo.php",
        server.hit_params(url=url, action_name="t" * 1024),
        cookies=CONSENT,
        headers={f"X-Pad-{i}": "v" for i in range(40)},
    )
    assert status == 200


async def test_garbage_forwarded_for_from_a_trusted_proxy_is_stored_as_no_address(
    database_url: str,
) -> None:
    settings = settings_for(database_url, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    async with running_app(settings) as srv:
        srv.domain = f"xff-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("xff", srv.domain)
        status, _, _ = await srv.get(
            "/matomo.php",
            srv.hit_params(),
            cookies=CONSENT,
            headers={"X-Forwarded-For": "', DROP TABLE hits; --"},
        )
        await srv.flush()
        rows = await srv.rows()
    assert status == 200
    assert [r["ip_prefix"] for r in rows] == [None]


def _request(method: str, path: str, body: bytes, *headers: str) -> bytes:
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: x",
        "Connection: close",
        f"Content-Length: {len(body)}",
        "Sec-Fetch-Site: same-origin",  # the consent switches take only same-site requests
        "Cookie: collector_consent=yes",
        *headers,
        "",
        "",
    ]
    return "\r\n".join(head).encode("utf-8", "surrogateescape") + body


BODY_ROUTES = ("/matomo.php", "/optin", "/optout", "/dashboard/login")


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("path", BODY_ROUTES)
async def test_a_compressed_body_is_refused_with_415_on_every_route_that_reads_one(
    server: Running, path: str, coding: str
) -> None:
    garbage = b"\x1f\x8b\x08\x00 not really compressed"
    form = "Content-Type: application/x-www-form-urlencoded"
    data = _request("POST", path, garbage, form, f"Content-Encoding: {coding}")
    assert await raw(server, data) == 415


def _gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros as concatenated gzip members (~1 KB per 1 MB): a real bomb."""
    member = gzip.compress(b"\0" * (10 << 20), 9)
    return member * (megabytes // 10)


async def test_a_gzip_bomb_is_refused_unread_and_the_server_keeps_answering(
    server: Running,
) -> None:
    bomb = _gzip_bomb(250)
    assert len(bomb) < 300_000  # 250 MB of zeros in about 250 KB
    data = _request("POST", "/matomo.php", bomb, "Content-Encoding: gzip")
    loop = asyncio.get_running_loop()
    sent = asyncio.gather(*(raw(server, data) for _ in range(4)))
    slowest = 0.0
    while not sent.done():
        start = loop.time()
        assert (await server.get("/healthz"))[0] == 200
        slowest = max(slowest, loop.time() - start)
        await asyncio.sleep(0.01)
    assert await sent == [415] * 4
    assert slowest < 0.5  # generous: inflating the bombs stalled the loop for seconds


FORMS = {
    "invalid UTF-8": ("application/x-www-form-urlencoded", b"token=%ff&idsite=\xff\xfe"),
    "unknown charset": ("application/x-www-form-urlencoded; charset=nope", b"token=x"),
    "UTF-16 that is not": ("application/x-www-form-urlencoded; charset=utf-16", b"tok"),
    "multipart without boundary": ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
    "unterminated multipart": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc',
    ),
    "multipart of nothing": ("multipart/form-data; boundary=x", b"garbage"),
    "multipart, bad charset": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="token"\r\n'
        b"Content-Type: text/plain; charset=nope\r\n\r\nabc\r\n--x--\r\n",
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("path", ["/optin", "/optout", "/dashboard/login"])
async def test_an_undecodable_form_body_gets_a_400(server: Running, path: str, form: str) -> None:
    content_type, body = FORMS[form]
    assert await raw(server, _request("POST", path, body, f"Content-Type: {content_type}")) == 400


async def _drip_until_closed(srv: Running, head: bytes, drip: bytes, seconds: float = 10) -> bytes:
    """Send `head`, then `drip` every 0.1 s, until the server closes the connection: what it
    answered. Still open after `seconds` (20 times the test's timeouts): AssertionError."""
    port = int(srv.base.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = b""
    deadline = loop.time() + seconds
    try:
        writer.write(head)
        while loop.time() < deadline:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.1)
            except TimeoutError:
                writer.write(drip)
                await writer.drain()
                continue
            if not chunk:
                return answer
            answer += chunk
    except (ConnectionResetError, BrokenPipeError):
        return answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await writer.wait_closed()
    raise AssertionError(f"still open after {seconds} s; answered {answer[:40]!r}")


@contextlib.asynccontextmanager
async def _impatient(database_url: str) -> AsyncIterator[Running]:
    settings = settings_for(database_url, header_timeout_ms=500, body_timeout_ms=500)
    async with running_app(settings) as srv:
        srv.domain = f"slow-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("slow", srv.domain)
        yield srv


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (b"", b""),  # connects and sends nothing
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n"),  # a header line at a time
        (b"GET /heal", b"t"),  # the request line, a byte at a time
    ],
    ids=["idle", "header drip", "request line drip"],
)
async def test_a_client_slow_to_send_its_request_head_is_disconnected(
    database_url: str, head: bytes, drip: bytes
) -> None:
    async with _impatient(database_url) as srv:
        assert await _drip_until_closed(srv, head, drip) == b""
        assert (await srv.get("/healthz"))[0] == 200


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (
            b"POST /matomo.php HTTP/1.1\r\nHost: x\r\nCookie: collector_consent=yes\r\n"
            b"Content-Length: 1000\r\n\r\nidsite=1&",
            b"x",  # the body, a byte at a time
        ),
        (
            b"POST /matomo.php HTTP/1.1\r\nHost: x\r\nCookie: collector_consent=yes\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            b"zz\r\n",  # chunked encoding broken after the head: aiohttp waits for more
        ),
    ],
    ids=["body drip", "broken chunked body"],
)
async def test_a_client_slow_to_send_its_body_gets_408_and_is_disconnected(
    database_url: str, head: bytes, drip: bytes
) -> None:
    async with _impatient(database_url) as srv:
        answer = await _drip_until_closed(srv, head, drip)
        await srv.flush()
        assert await srv.rows() == []
    assert answer.startswith(b"HTTP/1.1 408 "), answer


# -- one regression test per 500 found from outside (issue #14) ---------------------------


@pytest.mark.parametrize(
    "header",
    [
        "X-Forwarded-For: 10.1.2.3\udcff, 127.0.0.1",
        "X-Forwarded-For: \udcff\udcfe",
        "Forwarded: for=10.1.2.3\udcff",
        'Forwarded: for="[2001:db8::1\udcff]:443"',
    ],
)
async def test_undecodable_forwarded_for_from_a_trusted_proxy_is_no_address_and_never_logged(
    database_url: str, caplog: pytest.LogCaptureFixture, header: str
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(database_url, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    async with running_app(settings) as srv:
        srv.domain = f"xff-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("xff", srv.domain)
        hit = f"/matomo.php?idsite={srv.site_id}&rec=1&url=https://{srv.domain}/"
        status = await raw(
            srv, _get(hit, "Cookie: collector_consent=yes", f"User-Agent: {CHROME_UA}", header)
        )
        await srv.flush()
        rows = await srv.rows()
    assert status == 200
    assert [r["ip_prefix"] for r in rows] == [None]
    assert "10.1.2.3" not in caplog.text and "2001:db8::1" not in caplog.text


async def test_unicode_digits_in_idsite_on_the_consent_pages_are_no_site_id(
    server: Running,
) -> None:
    superscript_two = "%C2%B2"
    page = await raw(server, _get(f"/optout?idsite={superscript_two}"))
    query = _request("POST", f"/optin?idsite={superscript_two}", b"", "Accept: application/json")
    as_json = _request(
        "POST",
        "/optin",
        '{"idsite": "\u00b2"}'.encode(),
        "Content-Type: application/json",
        "Accept: application/json",
    )
    assert (page, await raw(server, query), await raw(server, as_json)) == (200, 400, 400)


@pytest.mark.parametrize(
    "params",
    [
        {"e_c": "c", "e_a": "a", "e_v": "1_000"},
        {"e_c": "c", "e_a": "a", "e_v": "\u0661\u0662"},  # Arabic-Indic digits
        {"e_c": "c", "e_a": "a", "e_v": " 1"},
        {"e_c": "c", "e_a": "a", "e_v": "\uff11"},  # fullwidth one
        {"search": "s", "search_count": "1_0"},
        {"search": "s", "search_count": "\u0663"},
        {"cdt": "now, in Arabic-Indic digits"},
        {"res": "\u0661\u0662x\u0663\u0664"},
    ],
    ids=repr,
)
async def test_numbers_are_ascii_digits_only(server: Running, params: dict[str, str]) -> None:
    if "cdt" in params:
        now = str(int(server.clock.now.timestamp()))
        params = {"cdt": now.translate({ord("0") + i: 0x660 + i for i in range(10)})}
    status, _, body = await server.get("/matomo.php", server.hit_params(**params), cookies=CONSENT)
    await server.flush()
    stored = await server.rows()
    if "res" in params:  # an unusable screen size is left out, as before, not refused
        assert (status, [r["resolution"] for r in stored]) == (200, [None])
    else:
        assert (status, stored) == (400, []), body


@pytest.mark.parametrize("path", ["/optout", "/optin"])
async def test_a_referer_that_is_not_a_url_is_no_referer(server: Running, path: str) -> None:
    if path == "/optout":
        data = _get("/optout", "Referer: http://[")
    else:
        data = _request("POST", path, b"", "Referer: http://[", "Accept: application/json")
    assert await raw(server, data) == 200


async def test_an_undecodable_bearer_token_gets_401(server: Running) -> None:
    data = _get(f"/api/reports/summary?site={server.site_id}", "Authorization: Bearer \udcff")
    assert await raw(server, data) == 401


async def test_an_undecodable_dashboard_cookie_is_not_logged_in(server: Running) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_get("/dashboard", "Cookie: collector_dashboard=\udcff\udcfe"))
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200 ") and b'name="password"' in answer


async def test_a_campaign_with_a_doubly_encoded_nul_is_stored_not_answered_then_lost(
    server: Running,
) -> None:
    url = f"http%3A%2F%2F{server.domain}%2F%3Fmtm_campaign%3Dspr%2500ing"
    hit = f"/matomo.php?idsite={server.site_id}&rec=1&url={url}"
    status = await raw(
        server, _get(hit, "Cookie: collector_consent=yes", f"User-Agent: {CHROME_UA}")
    )
    await server.flush()
    rows = await server.rows()
    _, _, metrics = await server.get("/metrics")
    assert status == 200
    assert [(r["ref_type"], r["campaign_name"]) for r in rows] == [("campaign", "spring")]
    assert b"\ncollector_hits_unstorable 0\n" in metrics

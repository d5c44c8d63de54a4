"""Access-log lines -> fields: each format, escapes, and the address truncated in parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.usage.formats import LineParser
from collector.usage.request import Refusal

NCSA = (
    '203.0.113.57 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?user=frank HTTP/1.0" '
    '200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
)
WHEN = datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC)


def caddy(**overrides: object) -> str:
    entry: dict[str, object] = {
        "level": "info",
        "ts": WHEN.timestamp(),
        "logger": "http.log.access.log0",
        "msg": "handled request",
        "request": {
            "remote_ip": "127.0.0.1",
            "remote_port": "41342",
            "client_ip": "203.0.113.57",
            "proto": "HTTP/2.0",
            "method": "GET",
            "host": "WWW.City.example",
            "uri": "/rathaus?q=1",
            "headers": {"User-Agent": ["curl/8.5.0"], "Referer": ["https://a.example/"]},
        },
        "bytes_read": 0,
        "duration": 0.0009,
        "size": 10900,
        "status": 200,
    }
    entry.update(overrides)
    return orjson.dumps(entry).decode()


def test_combined_lines_give_time_in_utc_target_status_bytes_referrer_and_agent() -> None:
    fields = LineParser("combined", 2).parse(NCSA)
    assert fields == (
        None,
        "203.0.0.0",
        WHEN,
        "/apache_pb.gif?user=frank",
        200,
        2326,
        "http://www.example.com/start.html",
        "Mozilla/4.08 [en] (Win98; I ;Nav)",
    )


@pytest.mark.parametrize(
    ("level", "v4", "v6"),
    [
        (1, "203.0.113.0", "2001:db8:1:2::"),
        (2, "203.0.0.0", "2001:db8:1::"),
        (3, "203.0.0.0", "2001:d00::"),  # 24 bits kept, as Matomo's IPAnonymizer
    ],
)
def test_the_address_is_truncated_to_the_mask_level_while_the_line_is_parsed(
    level: int, v4: str, v6: str
) -> None:
    parser = LineParser("combined", level)
    line6 = NCSA.replace("203.0.113.57", "2001:db8:1:2:3:4:5:6")
    assert parser.parse(NCSA)[1] == (v4 if level != 3 else "203.0.0.0")  # type: ignore[index]
    assert parser.parse(line6)[1] == v6  # type: ignore[index]
    assert "113.57" not in repr(parser.parse(NCSA))


def test_a_host_name_where_the_address_should_be_is_not_kept() -> None:
    # Apache with HostnameLookups On writes the client's host name: personal data, dropped.
    line = NCSA.replace("203.0.113.57", "p5b0a1c2d.dip0.t-ipconnect.de")
    fields = LineParser("combined", 2).parse(line)
    assert isinstance(fields, tuple) and fields[1] is None
    assert "t-ipconnect" not in repr(fields)


def test_common_format_without_referrer_and_agent_and_a_dash_for_no_bytes() -> None:
    line = '203.0.113.57 - - [10/Oct/2000:13:55:36 +0000] "HEAD / HTTP/1.1" 304 -'
    fields = LineParser("combined", 2).parse(line)
    assert fields == (None, "203.0.0.0", WHEN.replace(hour=13), "/", 304, 0, None, None)


def test_apache_and_nginx_escapes_are_undone_in_quoted_fields() -> None:
    # Apache: \" and \\; nginx: \xHH for '"' and for every byte of non-ASCII UTF-8.
    line = (
        '203.0.113.57 - - [10/Oct/2000:13:55:36 +0000] "GET /a\\"b\\\\c HTTP/1.1" 404 0 '
        '"https://r.example/\\x22q\\x22" "Bot \\xC3\\xBC"'
    )
    fields = LineParser("combined", 2).parse(line)
    assert isinstance(fields, tuple)
    assert fields[3] == '/a"b\\c' and fields[6] == 'https://r.example/"q"' and fields[7] == "Bot ü"


def test_a_request_line_that_is_not_one_gives_an_empty_target() -> None:
    # nginx logs "-" for a connection closed before its request line, and TLS probes as bytes.
    for request in ("-", "\\x16\\x03\\x01\\x00", ""):
        line = f'203.0.113.57 - - [10/Oct/2000:13:55:36 +0000] "{request}" 400 0 "-" "-"'
        fields = LineParser("combined", 2).parse(line)
        assert isinstance(fields, tuple) and fields[3] == "" and fields[4] == 400


def test_apache_vhost_combined_gives_the_host_without_port() -> None:
    line = "WWW.City.Example:443 " + NCSA
    fields = LineParser("apache", 2).parse(line)
    assert (
        isinstance(fields, tuple) and fields[0] == "www.city.example" and fields[1] == "203.0.0.0"
    )
    assert LineParser("apache", 2).parse(NCSA) is Refusal.UNPARSABLE  # no host in front


def test_caddy_json_prefers_the_client_ip_and_reads_headers_from_lists() -> None:
    fields = LineParser("caddy-json", 2).parse(caddy())
    assert fields == (
        "www.city.example",
        "203.0.0.0",
        WHEN,
        "/rathaus?q=1",
        200,
        10900,
        "https://a.example/",
        "curl/8.5.0",
    )


def test_caddy_json_before_2_5_with_remote_addr_and_iso_times() -> None:
    request = {"remote_addr": "[2001:db8:1:2::9]:5555", "host": "x.example", "uri": "/"}
    fields = LineParser("caddy-json", 2).parse(
        caddy(request=request, ts="2000-10-10T20:55:36+00:00")
    )
    assert isinstance(fields, tuple) and fields[1] == "2001:db8:1::" and fields[2] == WHEN


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        ("", Refusal.UNPARSABLE),
        ("not a log line", Refusal.UNPARSABLE),
        (NCSA.replace("10/Oct/2000", "31/Feb/2000"), Refusal.BAD_TIME),
        (NCSA.replace("10/Oct/2000", "10/Foo/2000"), Refusal.BAD_TIME),
        (NCSA.replace(" 200 ", " 2000 "), Refusal.UNPARSABLE),
        (NCSA.replace(" 2326 ", " 99999999999999999999 "), Refusal.UNPARSABLE),
    ],
)
def test_lines_that_do_not_parse_are_refused_with_a_reason(line: str, refusal: Refusal) -> None:
    assert LineParser("combined", 2).parse(line) is refusal


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        ("{", Refusal.UNPARSABLE),
        ("[]", Refusal.UNPARSABLE),
        ('{"request": "x"}', Refusal.UNPARSABLE),
        (caddy(ts=1e300), Refusal.BAD_TIME),
        (caddy(ts="yesterday"), Refusal.BAD_TIME),
        (caddy(ts="2000-10-10T20:55:36"), Refusal.BAD_TIME),  # no zone: no instant
        (caddy(status="200"), Refusal.BAD_STATUS),
        (caddy(status=True), Refusal.BAD_STATUS),
        (caddy(size=-1), Refusal.UNPARSABLE),
    ],
)
def test_caddy_entries_that_do_not_fit_are_refused(line: str, refusal: Refusal) -> None:
    assert LineParser("caddy-json", 2).parse(line) is refusal


def test_without_a_format_each_line_is_parsed_as_whichever_it_is() -> None:
    parser = LineParser(None, 2)
    for line, host in (
        (NCSA, None),
        ("city.example:80 " + NCSA, "city.example"),
        (caddy(), "www.city.example"),
    ):
        fields = parser.parse(line)
        assert isinstance(fields, tuple) and fields[0] == host and fields[1] == "203.0.0.0"


@given(st.text(max_size=300))
def test_no_text_makes_a_parser_raise(text: str) -> None:
    for fmt in ("combined", "apache", "caddy-json", None):
        result = LineParser(fmt, 2).parse(text)
        assert isinstance(result, Refusal | tuple)

"""Syslog framing: RFC 3164 and 5424 headers off, TCP streams cut into messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.usage.syslog import Framer, parse_syslog

LINE = '203.0.113.57 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "x"'


@pytest.mark.parametrize(
    ("message", "tag"),
    [
        (f"<190>Nov 28 12:00:00 web1 nginx: {LINE}", "nginx"),  # nginx's default
        (f"<190>Nov  8 12:00:00 site3: {LINE}", "site3"),  # nginx, nohostname
        (f"<14>Nov 28 12:00:00 web1 site_3[4242]: {LINE}", "site_3"),  # logger, with pid
        (f"<13>2026-11-28T12:00:00.123+01:00 web1 apache: {LINE}", "apache"),  # rsyslog
        (f"<14>1 2026-11-28T12:00:00.1Z web1 site4 77 - - {LINE}", "site4"),  # RFC 5424
        (f'<14>1 2026-11-28T12:00:00Z web1 app - ID7 [a b="c\\]d"][e] \ufeff{LINE}', "app"),
        (f"<14>1 - - - - - - {LINE}", None),  # RFC 5424, every header field nil
        (LINE, None),  # Caddy's net writer: no header at all
        (f"<13>Nov 28 12:00:00 web1 {LINE}", None),  # no tag
    ],
)
def test_the_header_comes_off_and_the_tag_is_found(message: str, tag: str | None) -> None:
    assert parse_syslog(message) == (tag, LINE)


def test_a_pri_that_is_not_one_leaves_the_message_whole() -> None:
    for message in ("<abc> x", "<1234567> y", "<"):
        assert parse_syslog(message) == (None, message)


def test_tcp_frames_by_line_feed_and_by_octet_count_in_one_stream() -> None:
    counted = b"<14>1 - h a - - - " + LINE.encode()
    stream = b"first\r\n" + str(len(counted)).encode() + b" " + counted + b"second\n\n"
    assert Framer(1000).feed(stream) == [b"first", counted, b"second"]


def test_a_raw_line_starting_with_digits_is_not_taken_for_an_octet_count() -> None:
    # "203.0.113.57 - -" starts with digits, but an octet count is digits, a space and "<".
    assert Framer(1000).feed(LINE.encode() + b"\n") == [LINE.encode()]


@given(st.lists(st.integers(1, 40), max_size=30))
def test_frames_are_the_same_however_the_stream_is_cut_into_reads(cuts: list[int]) -> None:
    counted = b"<14>1 - h a - - - counted message"
    stream = b"one\n" + b"%d " % len(counted) + counted + b"two\r\nthree\n"
    framer, frames, at = Framer(1000), [], 0
    for size in cuts:
        frames += framer.feed(stream[at : at + size])
        at += size
    frames += framer.feed(stream[at:])
    assert frames == [b"one", counted, b"two", b"three"]


def test_an_over_long_line_in_one_read_does_not_take_the_next_lines_with_it() -> None:
    framer = Framer(100)
    assert framer.feed(b"x" * 500 + b"\nnext\nlast\n") == [b"next", b"last"]
    assert framer.too_long == 1


def test_an_over_long_message_is_skipped_to_its_end_and_counted_not_held() -> None:
    framer = Framer(100)
    frames = framer.feed(b"x" * 150)  # no line feed yet: dropped, not buffered
    frames += framer.feed(b"x" * 10_000)
    frames += framer.feed(b"tail\nnext\n")
    frames += framer.feed(b"500 <" + b"y" * 200)  # octet-counted, over the limit
    frames += framer.feed(b"y" * 299 + b"after\n")  # "<" and 499 bytes: 500
    assert frames == [b"next", b"after"]
    assert framer.too_long == 2
    assert len(framer._buffer) == 0

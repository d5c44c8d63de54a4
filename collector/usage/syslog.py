"""Syslog framing: a message -> (tag, access-log line), and a TCP stream -> messages.

What web servers send (every one tested against a real sender in tests/usage/):

- nginx `access_log syslog:server=…` (UDP): RFC 3164, `<190>Nov 28 12:00:00 host nginx: LINE`,
  or without the host (`nohostname`);
- rsyslog, util-linux `logger`: RFC 3164, or RFC 5424
  (`<14>1 2026-11-28T12:00:00Z host app - - - LINE`), over UDP or TCP;
- Caddy's `net` log writer: no syslog header at all, one JSON line per entry.

On TCP a message is framed by octet counting (`LEN SP MSG`, RFC 6587 3.4.1) or ends at a
line feed (3.4.2); both are detected per message. Nothing here keeps or logs a message's
text: a frame over MAX_LINE is skipped to its end and only counted.
"""

from __future__ import annotations

import re

_MONTH_DAY_TIME = re.compile(r"[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ")
_OCTETS = re.compile(rb"([1-9][0-9]{0,5}) <")


def parse_syslog(message: str) -> tuple[str | None, str]:
    """(the tag or APP-NAME, the message part) of an RFC 3164 or 5424 message. A line with
    no `<PRI>` in front is all message, with no tag (Caddy's net writer)."""
    if not message.startswith("<"):
        return None, message
    end = message.find(">", 1, 5)
    if end < 0 or not message[1:end].isdigit():
        return None, message
    rest = message[end + 1 :]
    if rest.startswith("1 "):
        return _rfc5424(rest[2:])
    return _rfc3164(rest)


def _tag(token: str) -> str | None:
    """`nginx:` or `app[123]:` -> `nginx` / `app`."""
    name = token[:-1] if token.endswith(":") else token
    name = name.partition("[")[0]
    return name or None


def _rfc3164(rest: str) -> tuple[str | None, str]:
    # TIMESTAMP: "Mmm dd hh:mm:ss", or an RFC 3339 one (rsyslog's forward format).
    if _MONTH_DAY_TIME.match(rest):
        rest = rest[16:]
    elif rest[:4].isdigit() and (space := rest.find(" ")) > 0:
        rest = rest[space + 1 :]
    first, _, after_first = rest.partition(" ")
    if first.endswith(":"):  # no HOSTNAME (nginx's nohostname): "TAG: MSG"
        return _tag(first), after_first
    second, _, after_second = after_first.partition(" ")
    if second.endswith(":"):  # "HOSTNAME TAG: MSG"
        return _tag(second), after_second
    return None, after_first  # "HOSTNAME MSG": no tag


def _rfc5424(rest: str) -> tuple[str | None, str]:
    # TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [SP MSG]
    parts = rest.split(" ", 5)
    if len(parts) < 6:
        return None, ""
    app, data = parts[2], parts[5]
    skip = 2 if data.startswith("-") else _structured_data_end(data) + 1
    msg = data[skip:]
    return (None if app == "-" else app), msg.removeprefix("\ufeff")


def _structured_data_end(text: str) -> int:
    """Where the SD-ELEMENTs (`[id k="v"]…`) at the start of `text` end; in a quoted value
    `\\]`, `\\"` and `\\\\` are escaped."""
    i, n = 0, len(text)
    while i < n and text[i] == "[":
        quoted = False
        i += 1
        while i < n:
            c = text[i]
            if c == "\\" and quoted:
                i += 2
                continue
            if c == '"':
                quoted = not quoted
            elif c == "]" and not quoted:
                i += 1
                break
            i += 1
    return i


class Framer:
    """Bytes of one TCP connection -> complete messages, in order, each at most `limit`
    bytes: the buffer never holds more than that plus one read."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._discard = 0  # bytes of an over-long octet-counted message still to skip
        self._to_newline = False  # skipping an over-long line up to its line feed
        self.too_long = 0  # messages skipped for their length

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buffer
        buf += data
        frames: list[bytes] = []
        while buf:
            if self._discard:
                gone = min(self._discard, len(buf))
                del buf[:gone]
                self._discard -= gone
                continue
            if self._to_newline:
                end = buf.find(b"\n")
                if end < 0:
                    buf.clear()
                    break
                del buf[: end + 1]
                self._to_newline = False
                continue
            if not self._next(buf, frames):
                break
        return frames

    def _next(self, buf: bytearray, frames: list[bytes]) -> bool:
        """Cut one message off `buf` into `frames`; False when more bytes are needed."""
        if buf[:1].isdigit():
            if (m := _OCTETS.match(buf)) is not None:
                size, start = int(m[1]), len(m[1]) + 1
                if size > self._limit:
                    self.too_long += 1
                    self._discard = size
                    del buf[:start]
                    return True
                if len(buf) < start + size:
                    return False
                frames.append(bytes(buf[start : start + size]).rstrip(b"\r\n"))
                del buf[: start + size]
                return True
            if len(buf) < 8 and buf.isdigit():
                return False  # perhaps the start of an octet count: wait for the rest
        end = buf.find(b"\n", 0, self._limit + 1)
        if end < 0:
            if len(buf) <= self._limit:
                return False
            self.too_long += 1
            end = buf.find(b"\n", self._limit + 1)
            if end < 0:  # its end is still to come: skip up to it
                self._to_newline = True
                buf.clear()
            else:
                del buf[: end + 1]
            return True
        frame = bytes(buf[:end]).rstrip(b"\r")
        del buf[: end + 1]
        if frame:
            frames.append(frame)
        return True

"""Access-log lines -> their fields, with the client address truncated while parsing.

Formats (`collector usage import --format`, and auto-detected per line on the syslog intake):

- `combined`: NCSA combined (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`), what
  nginx and Apache write by default; the common format (without the last two) too.
- `apache`: Apache's `vhost_combined` (`%v:%p` in front: the virtual host and port), also
  what `deploy/nginx/usage.conf` sends, so that one stream can carry many sites.
- `caddy-json`: Caddy's JSON access log (`"request": {"client_ip", "host", "uri", …}`).

The address is handed to `anonymise_ip` the moment it is cut out of the line: what leaves
this module holds only the prefix (P2). Nothing here logs or raises with a line's text.
Pure functions and one small cache (the last time string: a log's lines share seconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from collector.tracking.anonymise import anonymise_ip
from collector.usage.request import Refusal

# (host or None, truncated prefix or None, time, request target, status, bytes,
#  referrer or None, user agent or None)
Fields = tuple[str | None, str | None, datetime, str, int, int, str | None, str | None]
FORMATS = ("combined", "apache", "caddy-json")

# Two patterns per format: most lines hold no backslash, and a quoted field without escapes
# ("[^"]*") matches in half the time of one that allows them (Apache writes \" and \\).
# Digits as [0-9]: in a str pattern \d matches other scripts' digits too. Bytes: at most 18
# digits, so that a number always fits PostgreSQL's bigint. The time is checked in full
# when it is parsed (once per second of log, see `_time`).
_PLAIN = r'"([^"]*)"'
_ESCAPED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'


def _clf(quoted: str) -> str:
    return (
        rf"([^ ]+) [^ ]+ [^ ]+ \[([^\]]{{26}})\] {quoted} ([0-9]{{3}}) ([0-9]{{1,18}}|-)"
        rf"(?![^ ])(?: {quoted} {quoted})?"
    )


_COMBINED = re.compile(_clf(_PLAIN))
_COMBINED_ESCAPED = re.compile(_clf(_ESCAPED))
_VHOST = re.compile(rf"([^ ]+) {_clf(_PLAIN)}")
_VHOST_ESCAPED = re.compile(rf"([^ ]+) {_clf(_ESCAPED)}")
_TIME = re.compile(r"[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}")
_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)", re.S)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _unescape(text: str) -> str:
    """A quoted field as the client sent it: Apache's `\\"` and `\\\\`, nginx's `\\xHH`
    (bytes, so an escaped UTF-8 sequence comes back as its character)."""

    def one(m: re.Match[bytes]) -> bytes:
        code = m[1]
        return bytes((int(code[1:], 16),)) if code[:1] == b"x" and len(code) == 3 else code

    raw = text.encode("utf-8", "surrogateescape")
    return _ESCAPE.sub(one, raw).decode("utf-8", "replace")


def _quoted(value: str | None) -> str | None:
    if value is None or value == "-" or value == "":
        return None
    return _unescape(value) if "\\" in value else value


def _target(request: str) -> str:
    """The request target of a request line ("GET /a?b HTTP/1.1" -> "/a?b"); '' if none."""
    if "\\" in request:
        request = _unescape(request)
    parts = request.split(" ")
    return parts[1] if len(parts) in (2, 3) else ""


def _host(vhost: str) -> str:
    """The host of `%v:%p`, `$host` or Caddy's `host`: lower case, no port, no final dot."""
    host = vhost.lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


class LineParser:
    """Parses lines of one format (or, for syslog, whichever format each line is in), with
    the address truncated to `level` (COLLECTOR_IP_MASK_LEVEL) at once."""

    def __init__(self, fmt: str | None, level: int) -> None:
        self._level = level
        self._last_time = ""
        self._last_ts = datetime.min.replace(tzinfo=UTC)
        parsers: dict[str, Callable[[str], Fields | Refusal]] = {
            "combined": self._combined,
            "apache": self._vhost,
            "caddy-json": self._caddy,
        }
        self.parse: Callable[[str], Fields | Refusal] = (
            parsers[fmt] if fmt is not None else self._any
        )

    def _time(self, text: str) -> datetime | None:
        """`10/Oct/2000:13:55:36 -0700` as UTC; the caller has checked it is not the last
        one (lines of one second share its datetime)."""
        if not _TIME.fullmatch(text):
            return None
        try:
            local = datetime(
                int(text[7:11]),
                _MONTHS[text[3:6]],
                int(text[0:2]),
                int(text[12:14]),
                int(text[15:17]),
                int(text[18:20]),
                tzinfo=UTC,
            )
        except (KeyError, ValueError):
            return None
        offset = timedelta(hours=int(text[22:24]), minutes=int(text[24:26]))
        ts = local - offset if text[21] == "+" else local + offset
        self._last_time, self._last_ts = text, ts
        return ts

    def _fields(self, groups: tuple[Any, ...], host: str | None) -> Fields | Refusal:
        # Any, not str: referrer and agent are None in the common format, and compiled
        # (mypyc) a declared str is checked at run time
        address, time, request, status, size, referrer, agent = groups
        ts = self._last_ts if time == self._last_time else self._time(time)
        if ts is None:
            return Refusal.BAD_TIME
        return (
            host,
            anonymise_ip(address, self._level),
            ts,
            _target(request),
            int(status),
            0 if size == "-" else int(size),
            _quoted(referrer),
            _quoted(agent),
        )

    def _combined(self, line: str) -> Fields | Refusal:
        m = (_COMBINED_ESCAPED if "\\" in line else _COMBINED).match(line)
        return Refusal.UNPARSABLE if m is None else self._fields(m.groups(), None)

    def _vhost(self, line: str) -> Fields | Refusal:
        m = (_VHOST_ESCAPED if "\\" in line else _VHOST).match(line)
        if m is None:
            return Refusal.UNPARSABLE
        vhost, *groups = m.groups()
        return self._fields(tuple(groups), _host(vhost))

    def _caddy(self, line: str) -> Fields | Refusal:
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            return Refusal.UNPARSABLE
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict):
            return Refusal.UNPARSABLE
        address = _caddy_address(request)
        prefix = anonymise_ip(address, self._level) if address else None
        ts = _caddy_time(entry.get("ts"))
        if ts is None:
            return Refusal.BAD_TIME
        status, size = entry.get("status"), entry.get("size", 0)
        if type(status) is not int or type(size) is not int or not 0 <= size < 1 << 62:
            return Refusal.BAD_STATUS if type(status) is not int else Refusal.UNPARSABLE
        host, uri = request.get("host"), request.get("uri")
        headers = request.get("headers")
        headers = headers if isinstance(headers, dict) else {}
        return (
            _host(host) if isinstance(host, str) and host else None,
            prefix,
            ts,
            uri if isinstance(uri, str) else "",
            status,
            size,
            _first(headers.get("Referer")),
            _first(headers.get("User-Agent")),
        )

    def _any(self, line: str) -> Fields | Refusal:
        """Whichever format the line is in: syslog streams may mix them."""
        if line.startswith("{"):
            return self._caddy(line)
        found = self._combined(line)
        return self._vhost(line) if found is Refusal.UNPARSABLE else found


def _caddy_address(request: dict[str, object]) -> str | None:
    # client_ip: the client as Caddy's trusted_proxies resolve it (2.7+); remote_ip: the
    # peer; remote_addr "ip:port": Caddy before 2.5.
    for key in ("client_ip", "remote_ip"):
        if isinstance(value := request.get(key), str) and value:
            return value
    addr = request.get("remote_addr")
    if isinstance(addr, str) and addr:
        if addr.startswith("["):
            return addr[1 : addr.find("]")]
        return addr.rpartition(":")[0] if addr.count(":") == 1 else addr
    return None


def _caddy_time(value: object) -> datetime | None:
    """Caddy's `ts`: Unix seconds (the default), or an ISO 8601 string (`time_format`)."""
    try:
        if type(value) in (int, float):
            return datetime.fromtimestamp(value, UTC)  # type: ignore[arg-type]
        if isinstance(value, str) and len(value) <= 40:
            ts = datetime.fromisoformat(value)
            return ts.astimezone(UTC) if ts.tzinfo else None
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _first(values: object) -> str | None:
    """The first value of a Caddy header list (`"User-Agent": ["…"]`)."""
    if isinstance(values, list) and values and isinstance(values[0], str) and values[0]:
        return values[0]
    return None

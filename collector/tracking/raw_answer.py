"""The pixel answers (GIF, 204) as pre-encoded bytes, for the pre-dispatch (predispatch.py).

An aiohttp `Response` cost about an eighth of a pixel hit's CPU (README, "Benchmarks"): a
header multidict per answer, content-length and connection logic, the Date header, the
status line and header block serialised anew. These answers never vary but in their Date
(once a second) and, for a new session, their Set-Cookie; so the bytes are built once per
second and written in one call. The headers are exactly those the app's own pixel answer
carries, in the same order (tests/tracking/test_predispatch.py compares them).

`RawAnswer` is what aiohttp's RequestHandler asks of a response (web_protocol.py:
`finish_response` awaits `prepare(request)` and `write_eof()`, the access log reads `status`,
the keep-alive loop reads `keep_alive`), nothing more. It is only used for HTTP/1.1
keep-alive requests, so neither `Connection` header nor closing is ever its business.
"""

from __future__ import annotations

import base64
import time
from email.utils import formatdate

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = "no-store"
_SERVER = f"Server: {SERVER_SOFTWARE}\r\n".encode()
_NO_STORE = {"Cache-Control": NO_STORE}


class RawAnswer:
    """One answer's bytes, written to the connection by aiohttp as if it were a Response."""

    __slots__ = ("data", "status")
    keep_alive = True  # HTTP/1.1 keep-alive requests only (predispatch.eligible)

    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data

    @property
    def body_length(self) -> int:  # aiohttp's default access log format asks for it (%b)
        return len(self.data)

    async def prepare(self, request: web.BaseRequest) -> None:
        protocol = request.protocol
        transport = protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("client went away")  # aiohttp: premature disconnection
        transport.write(self.data)
        # Back-pressure as aiohttp's own writer keeps it: a client that sends and never
        # reads must not make its answers pile up in memory.
        if protocol.writing_paused:
            await request.writer.drain()

    async def write_eof(self) -> None:
        return None


def encode(response: web.Response) -> bytes:
    """A refusal (a 4xx or 5xx `Response` with a text body) as the bytes aiohttp writes for
    it on a keep-alive HTTP/1.1 request, with the Vary the CORS wrapper adds: its headers in
    their order, then Content-Length, Date and Server. Rare, so not cached."""
    body = response.body
    assert isinstance(body, bytes) and body, "a refusal has a text body"
    lines = [f"HTTP/1.1 {response.status} {response.reason}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in response.headers.items()]
    lines.append(f"Vary: Origin\r\nContent-Length: {len(body)}\r\n")
    lines.append(f"Date: {formatdate(usegmt=True)}\r\n")
    return "".join(lines).encode() + _SERVER + b"\r\n" + body


class _Kind:
    """One answer (the GIF or the 204) as bytes: the head up to where a Set-Cookie goes,
    the rest of the head for the current second (`tail`), the body."""

    __slots__ = ("after_cookie", "before_cookie", "body", "status", "tail")

    def __init__(self, status_line: str, headers: dict[str, str], body: bytes) -> None:
        self.status = int(status_line.split()[1])
        lines = [f"{status_line}\r\n", *(f"{k}: {v}\r\n" for k, v in headers.items())]
        self.before_cookie = "".join(lines).encode()
        length = f"Content-Length: {len(body)}\r\n" if body else ""  # a 204 has none
        self.after_cookie = f"Vary: Origin\r\n{length}".encode()
        self.body = body
        self.tail = b""

    def at(self, date: bytes) -> None:
        self.tail = self.after_cookie + date

    def answer(self, cookie: str | None = None) -> RawAnswer:
        if cookie is None:
            return RawAnswer(self.status, self.before_cookie + self.tail + self.body)
        set_cookie = b"Set-Cookie: " + cookie.encode() + b"\r\n"
        return RawAnswer(self.status, self.before_cookie + set_cookie + self.tail + self.body)


class Answers:
    """The current second's answers: `pixel(send_image, cookie)` is all a hit needs.

    In the order the app's answer has them (endpoint.answer): the headers it gives, the
    Set-Cookie (track), Vary (cors.with_cors), then what aiohttp adds: Content-Length, Date,
    Server."""

    __slots__ = ("_gif", "_no_content", "_second", "_shared")

    def __init__(self) -> None:
        self._gif = _Kind("HTTP/1.1 200 OK", {"Content-Type": "image/gif", **_NO_STORE}, GIF)
        self._no_content = _Kind("HTTP/1.1 204 No Content", _NO_STORE, b"")
        self._second = -1
        self._shared = (self._gif.answer(), self._no_content.answer())
        self._refresh(int(time.time()))

    def _refresh(self, second: int) -> None:
        self._second = second
        date = f"Date: {formatdate(second, usegmt=True)}\r\n".encode() + _SERVER + b"\r\n"
        self._gif.at(date)
        self._no_content.at(date)
        self._shared = (self._gif.answer(), self._no_content.answer())

    def pixel(self, send_image: bool, cookie: str | None) -> RawAnswer:
        """The GIF (or the 204 for send_image=0), with the session cookie when one is new."""
        second = int(time.time())
        if second != self._second:
            self._refresh(second)
        if cookie is None:
            return self._shared[0] if send_image else self._shared[1]
        return (self._gif if send_image else self._no_content).answer(cookie)

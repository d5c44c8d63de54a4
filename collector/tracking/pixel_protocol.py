"""The pixel protocol: plain pixel GETs answered as their bytes arrive, before aiohttp's
per-request machinery.

Profiled (README, "Benchmarks"), with the pre-dispatch a hit still spent about a fifth of
its CPU in aiohttp's keep-alive loop around it: the waiter future that wakes the connection's
task, a `StreamWriter`, a `BaseRequest`, and a new task per request with its coroutine. Our
hit path needs none of that: without COLLECTOR_DURABILITY=fsync it never awaits. So
`PixelHandler`, aiohttp's `RequestHandler` with one method more, lets aiohttp's C parser read
the bytes as always and then, while the connection's task is idle (nothing queued before, so
answers keep their order), takes each request the pre-dispatch would take (predispatch.eligible:
a keep-alive HTTP/1.1 GET of a tracking path without Origin, Expect or a body) and answers it
there: `endpoint.track_pixel_now`, the same hit path, and raw_answer's bytes, one write.

Anything else, and anything while the task is busy, the transport's writes are paused (a
client that sends and never reads), the access log is on or hits wait for the journal, goes
to the task as before, and from there to the pre-dispatch or the app. Parser limits and
errors, the server log, keep-alive timeouts and graceful shutdown are aiohttp's own: this
only consumes messages the parser has queued, as the task would, and moves the keep-alive
deadline as the task does after an answer.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from aiohttp import web
from aiohttp.http import HttpVersion11
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import RequestHandler

from collector.appkeys import TRACKING
from collector.tracking.cors import TRACKING_PATHS
from collector.tracking.endpoint import Tracking, track_pixel_now
from collector.tracking.raw_answer import Answers, RawAnswer, encode

_PATHS = frozenset(TRACKING_PATHS)
# What this reads and writes of RequestHandler: checked once, so that an aiohttp that has
# changed them serves as before instead of answering wrongly.
_NEEDS = (
    "_waiter",
    "_messages",
    "_parser",
    "_manager",
    "_close",
    "_force_close",
    "_logging_enabled",
    "_keepalive",
    "_keepalive_handle",
    "_keepalive_timeout",
    "_next_keepalive_close_time",
)


def eligible(message: Any, payload: object) -> bool:
    """predispatch.eligible, on the parser's message (a RawRequestMessage, or the error
    aiohttp queues in its place for a request it could not parse: never eligible)."""
    if getattr(message, "method", None) != "GET":
        return False
    if message.version != HttpVersion11 or message.should_close:
        return False
    if payload is not EMPTY_PAYLOAD or message.upgrade:
        return False
    if message.path.partition("?")[0] not in _PATHS:
        return False
    headers = message.headers
    return "Origin" not in headers and "Expect" not in headers


class PixelHandler(RequestHandler):
    """aiohttp's connection protocol, answering plain pixel GETs in `data_received`."""

    __slots__ = ("_answers", "_peer", "_tracking")

    _tracking: Tracking
    _answers: Answers
    _peer: str | None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        name = transport.get_extra_info("peername")
        self._peer = name[0] if isinstance(name, tuple) else None  # endpoint._peer's

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        # Only while the task waits for a request (it has answered all before): in order.
        if waiter is None or waiter.done() or self._messages or self._logging_enabled:
            super().data_received(data)
            return
        self._waiter = None  # so the parser's messages do not wake the task yet
        try:
            super().data_received(data)
        finally:
            self._waiter = waiter
        messages = self._messages
        transport = self.transport
        # A pipeline deeper than the parser's queue (aiohttp >= 3.14: 32) paused reading; the
        # task resumes it as it drains the queue, so such a burst is all the task's.
        paused = getattr(self, "_buffer_paused", False)
        consumed = getattr(self._parser, "message_consumed", None)
        while messages and not paused and not self._force_close and not self._close:
            message, payload = messages[0]
            if transport is None or self.writing_paused or not eligible(message, payload):
                break
            messages.popleft()
            if consumed is not None:
                consumed()  # a parser slot free again, as the task frees it (aiohttp >= 3.14)
            self._answer(message, transport)
        if messages and not waiter.done():
            waiter.set_result(None)  # the rest is the task's, in order

    def _answer(self, message: Any, transport: Any) -> None:
        assert self._manager is not None
        self._manager.requests_count += 1
        query = message.path.partition("?")[2]
        secure = self.ssl_context is not None
        try:
            answer = track_pixel_now(
                query, message.headers, self._peer, secure, self._tracking, self._answers.pixel
            )
        except Exception as exc:  # a bug: logged and answered as aiohttp's handle_error does
            self.log_exception("Error handling request", exc_info=exc)  # server_log.py: P2
            transport.write(_failed())
            self.force_close()
            return
        if isinstance(answer, RawAnswer):
            _send(transport, answer.data)
        else:
            assert isinstance(answer, web.Response)  # a refusal: 4xx, 429, 503
            transport.write(encode(answer))
        # What the task does after an answer: keep-alive, and its idle deadline moved on.
        self._keepalive = True
        loop = self._loop
        self._next_keepalive_close_time = loop.time() + self._keepalive_timeout
        if self._keepalive_handle is None:
            self._keepalive_handle = loop.call_at(
                self._next_keepalive_close_time, self._process_keepalive
            )


def _send(transport: Any, data: bytes) -> None:
    # Its own frame, so that a profile tells the send system call from the hit path
    # (bench/profile_summary.py; compiled, the hit path has no frames of its own).
    transport.write(data)


def _failed() -> bytes:
    """aiohttp's answer to a handler's exception (handle_error), closing the connection."""
    body = b"500 Internal Server Error\n\nServer got itself in trouble"
    return (
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\nDate: %s\r\n\r\n%s"
        % (len(body), formatdate(usegmt=True).encode(), body)
    )


def _has_slot(name: str) -> bool:
    return any(name in getattr(cls, "__slots__", ()) for cls in RequestHandler.__mro__)


def _handler_class(tracking: Tracking, answers: Answers) -> type[RequestHandler]:
    class Handler(PixelHandler):
        __slots__ = ()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._tracking = tracking
            self._answers = answers

    return Handler


def install(runner: web.AppRunner) -> bool:
    """Serve a set-up runner's connections with the pixel protocol, unless hits wait for the
    journal (fsync) or this aiohttp lacks what it uses; whether it was installed."""
    server = runner.server
    if server is None:
        raise RuntimeError("install the pixel protocol after runner.setup()")
    tracking = runner.app[TRACKING]  # bound at start-up (endpoint.bind)
    if tracking.durable or not all(_has_slot(name) for name in _NEEDS):
        return False
    handler = _handler_class(tracking, Answers())

    class PixelServer(type(server)):  # type: ignore[misc]
        def __call__(self) -> RequestHandler:
            return handler(self, loop=self._loop, **self._kwargs)

    server.__class__ = PixelServer
    return True

"""What aiohttp's HTTP server logs, made safe to keep (promise P2) and cheap to flood.

aiohttp logs every malformed request as "Error handling request from <peer>" with a
traceback whose exception quotes the raw request line: the full client address, the query
string (`uid=`, e-mail addresses in URLs), header values. Every unexpected exception in a
handler goes the same way. `ServerLog` is handed to aiohttp's request handler as its logger
(`handler_args["logger"]`, so `collector serve` and the tests' AppRunner both get it) and
rewrites each call into one short line: status and a fixed reason for a bad request, the
exception's type and where it was raised for a bug. It never passes on the call's
arguments, the exception's message or a traceback, whatever aiohttp's wording, and it keeps
to a budget of lines per minute, saying how many it held back.

Why a logger object rather than a logging.Filter on `aiohttp.server`: a filter is global
state that every app in the process shares, and it has to recognise aiohttp's records by
their text; the logger object belongs to one app and sees every call aiohttp makes with
the exception object itself. Why not a RequestHandler subclass: aiohttp builds its handler
by class name inside `web.Server`, so a subclass means replacing `web.run_app` and
`AppRunner` too.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

LINES_PER_INTERVAL = 10
INTERVAL = 60.0  # seconds

# By class name (looked up along the exception's MRO, most specific first): names only, so
# that an aiohttp without one of these classes still imports this module.
_REASONS = {
    "BadHttpMethod": "bad_method",
    "InvalidURLError": "bad_url",
    "BadStatusLine": "bad_request_line",
    "LineTooLong": "line_too_long",
    "InvalidHeader": "bad_header",
    "TransferEncodingError": "bad_chunked_encoding",
    "ContentLengthError": "bad_content_length",
    "ContentEncodingError": "bad_content_encoding",
    "DecompressSizeError": "body_too_large",
    "BadHttpMessage": "bad_message",
    "HttpProcessingError": "bad_http",
}


class LogBudget:
    """At most `lines` lines per `interval` seconds (fixed windows); counts the rest."""

    def __init__(
        self,
        lines: int = LINES_PER_INTERVAL,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lines, self._interval, self._clock = lines, interval, clock
        self._window = -interval
        self._used = 0
        self._held = 0

    def take(self) -> int | None:
        """None: hold this line back. Else it may go out, with the number held back since
        the last line that went out."""
        now = self._clock()
        if now - self._window >= self._interval:
            self._window, self._used = now, 0
        if self._used >= self._lines:
            self._held += 1
            return None
        self._used += 1
        held, self._held = self._held, 0
        return held


def bad_request_reason(exc: BaseException) -> str | None:
    """A fixed reason for an error in what the client sent, or None for any other error."""
    if isinstance(exc, RequestPayloadError):  # a body aiohttp could not read: why is its cause
        cause = exc.__cause__
        return bad_request_reason(cause) if isinstance(cause, HttpProcessingError) else "bad_body"
    if not isinstance(exc, HttpProcessingError):
        return None
    for cls in type(exc).__mro__:
        if reason := _REASONS.get(cls.__name__):
            return reason
    return "bad_http"


def where(exc: BaseException) -> str:
    """file:line of the innermost frames: where to look, without the exception's message
    (it may quote client input)."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return ",".join(f"{Path(f.filename).name}:{f.lineno}" for f in frames) or "-"


def describe(msg: object, exc: BaseException | None, level: int) -> tuple[str, int]:
    """(line, level) for one call of aiohttp's logger at `level`."""
    if exc is None:
        return f"http=event message={msg!s}", level  # the template: its args may hold the peer
    if (reason := bad_request_reason(exc)) is not None:
        code = getattr(exc, "code", 0)
        status = code if isinstance(code, int) and 400 <= code < 500 else 400
        # the client's mistake, not ours: no ERROR to page anyone
        return f"http=bad_request status={status} reason={reason}", min(level, logging.INFO)
    if isinstance(exc, ConnectionError):  # the client went away mid-request, as aiohttp says
        return f"http=disconnected error={type(exc).__name__}", logging.DEBUG
    return f"http=error error={type(exc).__name__} at={where(exc)}", level


class ServerLog(logging.LoggerAdapter[logging.Logger]):
    """The logger aiohttp's request handler calls (debug, warning, exception): one short,
    budgeted line per call, without the call's arguments or any exception text."""

    def __init__(self, logger: logging.Logger, budget: LogBudget | None = None) -> None:
        super().__init__(logger, {})
        self._budget = budget or LogBudget()

    def log(
        self,
        level: int,
        msg: object,
        *args: object,
        exc_info: object = None,
        stack_info: bool = False,
        stacklevel: int = 1,
        extra: Mapping[str, object] | None = None,
        **kwargs: object,
    ) -> None:
        line, level = describe(msg, _exception(exc_info), level)
        if not self.logger.isEnabledFor(level):
            return
        held = self._budget.take()
        if held is None:
            return
        if held:
            line += f" held_back={held}"
        self.logger.log(level, "%s", line)


def _exception(exc_info: object) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info:
        return sys.exc_info()[1]
    return None

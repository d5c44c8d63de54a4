"""The pre-dispatch: pixel hits served before aiohttp's router, answered in raw bytes.

Profiled (README, "Benchmarks"), an ordinary pixel hit spent about a sixth of its CPU in
aiohttp around the handler: the router's resolve and match info, the CORS wrapper, and the
`Response` (headers, status line, Date). The pre-dispatch sits in front of the app as the
low-level server's request handler and takes the common case itself: a keep-alive HTTP/1.1
`GET /matomo.php` or `/piwik.php` without an `Origin` (a same-origin image or the tracker's
GET), no `Expect`, no body. It runs the same handler code (`endpoint.track_pixel`: queue room,
query, IP truncation, consent, session, validation, enrichment, queue) and answers with
raw_answer.py's bytes, which carry the same headers as the app's answer. A refusal (4xx,
429, 503) is the app's own `Response`, with the `Vary: Origin` the CORS wrapper adds.

Everything else goes to the app unchanged: CORS (an `Origin`), HEAD, POST and bulk, HTTP/1.0,
`Connection: close`, other paths. The app has no middlewares (the tracking routes' CORS is
a wrapper, cors.py), so nothing a middleware would do is skipped; aiohttp's parser limits,
keep-alive and header timeouts, the server log (server_log.py) and the access log all sit
below the request handler and apply to both ways alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http import HttpVersion11

from collector.appkeys import TRACKING
from collector.tracking import pixel_protocol
from collector.tracking.cors import TRACKING_PATHS
from collector.tracking.endpoint import track_pixel
from collector.tracking.raw_answer import Answers, RawAnswer

RequestHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
_PATHS = frozenset(TRACKING_PATHS)


def eligible(request: web.BaseRequest) -> bool:
    """Whether the pre-dispatch answers this request; else the app does."""
    if request.method != "GET" or request.version != HttpVersion11 or not request.keep_alive:
        return False
    path = request.raw_path.partition("?")[0]
    if path not in _PATHS or request.body_exists:
        return False
    headers = request.headers
    return "Origin" not in headers and "Expect" not in headers


def dispatcher(app: web.Application, app_handler: RequestHandler) -> RequestHandler:
    """The request handler: tracking hits here, the rest to `app_handler` (the app's)."""
    tracking = app[TRACKING]  # bound at start-up (endpoint.bind): the app is running
    answers = Answers()

    async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
        if not eligible(request):
            return await app_handler(request)
        response = await track_pixel(request, tracking, answers.pixel)
        if isinstance(response, RawAnswer):
            return response  # type: ignore[return-value]  # duck-typed: raw_answer.py
        response.headers["Vary"] = "Origin"  # a refusal: as cors.with_cors answers it
        return response

    return dispatch


def install(runner: web.AppRunner) -> None:
    """Put the pre-dispatch in front of the app of a runner that is set up (not yet
    serving: each connection's handler copies the server's request handler when made)."""
    server = runner.server
    if server is None:
        raise RuntimeError("install the pre-dispatch after runner.setup()")
    server.request_handler = dispatcher(runner.app, server.request_handler)


async def ready_runner(app: web.Application, **kwargs: object) -> web.AppRunner:
    """An AppRunner for `app`, set up, with the pixel protocol (pixel_protocol.py) and the
    pre-dispatch in front: what `collector serve` and the tests run."""
    runner = web.AppRunner(app, **kwargs)  # type: ignore[arg-type]
    await runner.setup()
    install(runner)
    pixel_protocol.install(runner)
    return runner

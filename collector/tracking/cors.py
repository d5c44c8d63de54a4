"""CORS for the tracking endpoint, so beacons from a site's own hosts carry their cookies.

A collector on `stats.example.org` serving `www.example.org` is cross-origin (but same-site)
for the page. Browsers send the consent and session cookies with a credentialed request and
let the page see the answer only when it names the page's origin and allows credentials.
That is granted to origins whose host is a configured site domain (or a subdomain of one),
never to `*` and never to anyone else: another origin gets no CORS headers, so its scripts
cannot read our answers nor make a credentialed XHR succeed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from collector.appkeys import SITES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TRACKING_PATHS = frozenset({"/matomo.php", "/piwik.php"})
PREFLIGHT_MAX_AGE = 86400
# What the trackers send: form bodies, Matomo's bulk JSON (`application/json`).
ALLOWED_HEADERS = "Content-Type"
ALLOWED_METHODS = "GET, POST"


def origin_host(origin: str | None) -> str | None:
    """The host of an `Origin` header value, or None for "null", garbage or non-http(s)."""
    if not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/"):
        return None
    return host


def cors_headers(origin: str | None, host_allowed: Callable[[str], bool]) -> dict[str, str]:
    """Headers for a tracking response to `origin`: credentials only for a site's own host."""
    headers = {"Vary": "Origin"}
    host = origin_host(origin)
    if origin and host and host_allowed(host):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS /matomo.php: allow POST with Content-Type from a site's origin."""
    headers = cors_headers(request.headers.get("Origin"), request.app[SITES].owns_host)
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return web.Response(status=204, headers=headers)


def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    origin = request.headers.get("Origin")
    if origin is None:  # most hits (same-origin GETs): skip building the dict
        response.headers["Vary"] = "Origin"
        return
    response.headers.update(cors_headers(origin, request.app[SITES].owns_host))


def with_cors(handler: Handler) -> Handler:
    """Wrap a tracking handler: every answer, rejections, 503s and aiohttp's own 413s
    included, carries the CORS headers, so a site's script can read why a hit was refused.
    A wrapper rather than an on_response_prepare signal, which every route would pay for."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # e.g. request.read() over the body limit
            _add_headers(request, exc)
            raise
        _add_headers(request, response)
        return response

    return wrapped


def setup(app: web.Application) -> None:
    """Preflight routes for the tracking paths (their handlers are wrapped in `with_cors`)."""
    for path in sorted(TRACKING_PATHS):
        app.router.add_route("OPTIONS", path, preflight)

"""CORS for the tracking endpoint, so beacons from a site's own hosts carry their cookies.

A collector on `stats.example.org` serving `www.example.org` is cross-origin (but same-site)
for the page. Browsers send the consent and session cookies with a credentialed request and
let the page see the answer only when it names the page's origin and allows credentials.
That is granted to origins whose host is a configured site domain (or a subdomain of one),
never to `*` and never to anyone else: another origin gets no CORS headers, so its scripts
cannot read our answers nor make a credentialed XHR succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web

from collector.appkeys import SITES

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


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every tracking answer, rejections and 503s included, so a
    site's script can read why a hit was refused."""
    if request.path not in TRACKING_PATHS or request.method == "OPTIONS":
        return
    for name, value in cors_headers(
        request.headers.get("Origin"), request.app[SITES].owns_host
    ).items():
        response.headers[name] = value


def setup(app: web.Application) -> None:
    """Preflight routes and response headers for the tracking paths."""
    for path in sorted(TRACKING_PATHS):
        app.router.add_route("OPTIONS", path, preflight)
    app.on_response_prepare.append(add_cors_headers)

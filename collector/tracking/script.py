"""GET /tracker.js: the first-party tracker, the only file served from `collector/static/`.

The script is read and compressed once when the app starts. Its URL carries no version (the
snippet must stay the same), so caches keep it for an hour and then revalidate cheaply with
a strong ETag: a hash of the content, one per encoding, since gzip bytes are another
representation.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from collector.appkeys import TRACKER_SCRIPT
from collector.tracking.params import parse_decimal

MAX_AGE_SECONDS = 3600
CONTENT_TYPE = "text/javascript"


@dataclass(frozen=True, slots=True)
class Script:
    body: bytes
    gzipped: bytes
    etag: str  # quoted, as in the header
    gzip_etag: str


def build_script(body: bytes) -> Script:
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Script(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag=f'"{digest}"',
        gzip_etag=f'"{digest}-gz"',
    )


def load_script() -> Script:
    return build_script(resources.files("collector").joinpath("static/tracker.js").read_bytes())


def accepts_gzip(accept_encoding: str) -> bool:
    """True when `gzip` is listed without `q=0` (RFC 9110 content coding negotiation)."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            return not params.strip().startswith("q=") or _quality(q) > 0
    return False


def _quality(raw: str) -> float:
    return parse_decimal(raw) or 0.0


def etag_matches(if_none_match: str, script: Script) -> bool:
    """If-None-Match uses weak comparison, so a `W/` prefix still matches (RFC 9110 13.1.2)."""
    if if_none_match.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return bool(tags & {script.etag, script.gzip_etag})


async def loaded(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: read and compress the script once per app."""
    app[TRACKER_SCRIPT] = load_script()
    yield


async def tracker_js(request: web.Request) -> web.Response:
    script = request.app[TRACKER_SCRIPT]
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}",
        "ETag": script.gzip_etag if use_gzip else script.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        # Pages that isolate themselves (COEP) may still load it from the collector's host.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag_matches(request.headers.get("If-None-Match", ""), script):
        return web.Response(status=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=script.gzipped if use_gzip else script.body,
        content_type=CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )

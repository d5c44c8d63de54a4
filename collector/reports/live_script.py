"""GET /dashboard/live.{hash}.js: the dashboard's live refresher (`collector/static/live.js`).

The one script the dashboard runs, served from the collector itself (CSP `script-src 'self'`,
nothing inline). Its path carries a hash of its content, so a browser may keep it for a year
and a new version is a new path.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from aiohttp import web


@cache
def _script() -> tuple[bytes, str]:
    body = resources.files("collector").joinpath("static/live.js").read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def live_script_path() -> str:
    return f"/dashboard/live.{_script()[1]}.js"


async def live_js(request: web.Request) -> web.Response:
    body, digest = _script()
    if request.match_info["hash"] != digest:
        raise web.HTTPNotFound()
    return web.Response(
        body=body,
        content_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )

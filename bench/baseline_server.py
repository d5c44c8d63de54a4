"""The baseline: bare aiohttp on the same event loop, answering the same pixel, nothing else."""

from __future__ import annotations

import base64
import sys

from aiohttp import web

from collector.server import _loop

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


async def pixel(request: web.Request) -> web.Response:
    return web.Response(body=GIF, content_type="image/gif", headers={"Cache-Control": "no-store"})


def main() -> None:
    app = web.Application()
    app.router.add_get("/matomo.php", pixel)
    app.router.add_get("/healthz", pixel)
    web.run_app(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=_loop()
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()

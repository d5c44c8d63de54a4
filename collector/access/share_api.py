"""Share links over HTTP for a site's admins: `GET|POST /api/sites/{site}/shares` and
`DELETE /api/sites/{site}/shares/{id}` (the CLI's `collector share …` is the operator's).

Every handler first makes the one site-scoped check (`api_site_caller`, role admin): a site
the caller cannot see is 404 as an unknown one, a site they only view is 403.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from collector.access.callers import api_site_caller
from collector.access.rights import Role
from collector.access.shares import add_share, check_cards, list_shares, revoke_share, share_path
from collector.appkeys import POOL, SETTINGS
from collector.body import read_body
from collector.reports.api import NO_STORE, error
from collector.reports.dashboard import TABLES
from collector.reports.period import parse_site

MAX_SHARE_ID = 2**62


def _site(request: web.Request) -> int | web.Response:
    try:
        return parse_site(request.match_info["site"])
    except ValueError as exc:
        return error(400, str(exc))


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=NO_STORE
    )


async def shares_list(request: web.Request) -> web.Response:
    site_id = _site(request)
    if isinstance(site_id, web.Response):
        return site_id
    if isinstance(refused := await api_site_caller(request, site_id, Role.ADMIN), web.Response):
        return refused
    async with request.app[POOL].acquire() as conn:
        links = await list_shares(conn, site_id)
    return _json({"site": site_id, "shares": [link.as_json() for link in links]})


async def share_create(request: web.Request) -> web.Response:
    site_id = _site(request)
    if isinstance(site_id, web.Response):
        return site_id
    if isinstance(refused := await api_site_caller(request, site_id, Role.ADMIN), web.Response):
        return refused
    raw = await read_body(request, request.app[SETTINGS].body_timeout_ms / 1000)
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        return error(400, "body: not JSON")
    cards_in = body.get("cards") if isinstance(body, dict) else None
    if cards_in is not None and (
        not isinstance(cards_in, list) or not all(isinstance(c, str) for c in cards_in)
    ):
        return error(400, "cards: a list of card names")
    try:
        cards = check_cards(cards_in, [name for _, name in TABLES])
    except ValueError as exc:
        return error(400, str(exc))
    async with request.app[POOL].acquire() as conn:
        share_id, token = await add_share(conn, site_id, cards)
    return _json({"id": share_id, "site": site_id, "path": share_path(token)}, status=201)


async def share_delete(request: web.Request) -> web.Response:
    site_id = _site(request)
    if isinstance(site_id, web.Response):
        return site_id
    if isinstance(refused := await api_site_caller(request, site_id, Role.ADMIN), web.Response):
        return refused
    raw_id = request.match_info["share_id"]
    if not (raw_id.isascii() and raw_id.isdigit() and 0 < int(raw_id) < MAX_SHARE_ID):
        return error(400, "id: must be a positive integer")
    async with request.app[POOL].acquire() as conn:
        gone = await revoke_share(conn, int(raw_id), site_id)
    if not gone:
        return error(404, "no such share link on this site")
    return web.Response(status=204, headers=NO_STORE)

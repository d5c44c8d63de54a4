"""GET and DELETE /privacy/me, POST /privacy/me/erase: access, portability, erasure (P8).

What can be found is what the current `collector_session` cookie links: the hits of this
browser session, and the receipts whose ids the consent cookies hold. Once the session
cookie is gone nothing links a person to stored hits any more, so nothing can be found:
that is the point of session-only linking (P3). Hits still in the writer's queue are
flushed first, so an export or erasure includes a hit sent a moment before.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from collector.appkeys import CLOCK, POOL, SETTINGS, SITES, WRITER
from collector.privacy.cookies import clear_session_cookie, is_https, receipt_ids
from collector.privacy.origin import is_allowed_origin
from collector.privacy.queries import query
from collector.privacy.receipts import find_receipts
from collector.privacy.switch import (
    NO_STORE,
    add_cors,
    back_to_page,
    own_hosts,
    refuse,
    request_fields,
)
from collector.retention.rollup import retract_session
from collector.retention.scheduler import hold_job_lock
from collector.tracking.consent import parse_cookies
from collector.tracking.session import SESSION_COOKIE, session_from_cookie

log = logging.getLogger(__name__)

ABOUT = (
    "Everything this collector links to your current browser session (the collector_session "
    "cookie), and the consent receipts your cookies name. Once the session ends, nothing "
    "links you to stored data any more, and nothing can be found: that is by design. "
    "DELETE /privacy/me erases the session's data; receipts are kept as proof of your "
    "choice until their retention ends."
)


def _json(doc: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(doc, option=orjson.OPT_INDENT_2),
        status=status,
        content_type="application/json",
        headers=NO_STORE,
    )


_JSON_COLUMNS = ("goals", "ec_items", "dimensions")  # jsonb, exported as JSON, not as text


def _hit(row: asyncpg.Record) -> dict[str, Any]:
    hit = dict(row)
    for name in _JSON_COLUMNS:
        if hit[name] is not None:
            hit[name] = orjson.loads(hit[name])
    return hit


async def export(request: web.Request) -> web.Response:
    app = request.app
    cookies = parse_cookies(request.headers.get("Cookie"))
    session_id = session_from_cookie(cookies.get(SESSION_COOKIE))
    site_ids = [s.site_id for s in app[SITES].all()]
    await app[WRITER].flush()
    async with app[POOL].acquire() as conn:
        hits = (
            [_hit(r) for r in await conn.fetch(query("session_hits"), session_id, site_ids)]
            if session_id
            else []
        )
        receipts = await find_receipts(conn, receipt_ids(cookies), site_ids)
    response = _json(
        {
            "about": ABOUT,
            "session": session_id,
            "hits": hits,
            "receipts": [r.as_json() for r in receipts],
        }
    )
    add_cors(request, response)
    return response


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def erase_session(
    conn: asyncpg.Connection,
    session_id: Any,
    site_ids: list[int],
    *,
    now: datetime,
    retention_days: int,
) -> dict[str, int]:
    """Subtract the session's visits from the aggregates, then delete its rows from every
    table that has a session_id; rows per table. One transaction, under the roll-up's lock
    (so no run is half-way through the same hits). Table names come from the catalog
    (sql/privacy/session_tables.sql), never a request."""
    erased: dict[str, int] = {}
    async with conn.transaction():
        await hold_job_lock(conn, "hits")
        await retract_session(conn, now, retention_days, session_id, site_ids)
        for table in await conn.fetch(query("session_tables")):
            sql = f"DELETE FROM {_ident(table['table_name'])} WHERE session_id = $1"
            args: list[Any] = [session_id]
            if table["has_site_id"]:  # leads the indexes: one probe per site
                sql += " AND site_id = ANY($2::integer[])"
                args.append(site_ids)
            status = await conn.execute(sql, *args)
            erased[table["table_name"]] = int(status.rsplit(" ", 1)[1])
    return erased


def _refused(request: web.Request) -> web.Response | None:
    """403 unless same-site: a third party must not erase a visitor's data."""
    app = request.app
    own = own_hosts(request, app[SETTINGS])
    if is_allowed_origin(request.headers, own, app[SITES].all()):
        return None
    return refuse(request, 403, "cross-site request refused: not from a configured site")


async def _erase_this_session(request: web.Request) -> dict[str, int]:
    """Erase what the request's session cookie links (the queue first); rows per table."""
    app = request.app
    cookies = parse_cookies(request.headers.get("Cookie"))
    session_id = session_from_cookie(cookies.get(SESSION_COOKIE))
    if not session_id:
        return {}
    await app[WRITER].flush()
    async with app[POOL].acquire() as conn:
        erased = await erase_session(
            conn,
            session_id,
            [s.site_id for s in app[SITES].all()],
            now=app[CLOCK](),
            retention_days=app[SETTINGS].retention_days,
        )
    log.info("privacy=erased rows=%d", sum(erased.values()))
    return erased


def _forget_session(request: web.Request, response: web.Response) -> web.Response:
    for cookie in clear_session_cookie(is_https(request, request.app[SETTINGS])):
        response.headers.add("Set-Cookie", cookie)
    add_cors(request, response)
    return response


async def erase(request: web.Request) -> web.Response:
    """DELETE /privacy/me: erase, and say what in JSON (for a site's fetch)."""
    if (refused := _refused(request)) is not None:
        return refused
    erased = await _erase_this_session(request)
    return _forget_session(request, _json({"erased": erased, "session": None}))


async def erase_form(request: web.Request) -> web.Response:
    """POST /privacy/me/erase: the same from the opt-out page's plain form; 303 back to the
    page, which says how many rows went (`?erased=N`)."""
    if (refused := _refused(request)) is not None:
        return refused
    fields = await request_fields(request)
    erased = await _erase_this_session(request)
    page = back_to_page(fields, "return_to", erased=str(sum(erased.values())))
    # relative to /privacy/me/erase, so a path prefix in front of the collector still works
    response = web.Response(status=303, headers={**NO_STORE, "Location": "../../" + page})
    return _forget_session(request, response)

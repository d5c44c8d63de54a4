"""`/api/goals` and `/api/dimensions`: what `collector goal …` and `collector dimension …` do,
over HTTP, for the holder of `COLLECTOR_API_TOKEN`.

    GET    /api/goals?site=ID          the site's goals
    POST   /api/goals                  {"site", "name", "match", "pattern", "pattern_type",
                                        "case_sensitive", "revenue", "allow_multiple",
                                        "event_value_as_revenue"} -> 201 {"goal_id"}
    DELETE /api/goals/{id}             it converts no more; reports over past days keep it
    GET    /api/dimensions?site=ID
    POST   /api/dimensions             {"site", "name", "scope"}
                                       -> 201 {"dimension_id", "parameter"}
    DELETE /api/dimensions/{id}

The same checks as the reports API (404 without a token configured, 401 without a known
token), then the caller's rights on the site (collector/access/rights.py): viewing a site's
goals and dimensions needs its view role, changing them its admin role; a site the caller
may not see is answered as one that does not exist. A bad field is a 400 naming it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from aiohttp import web

from collector.access.callers import api_caller, api_site_caller
from collector.access.rights import Role
from collector.appkeys import POOL, SETTINGS
from collector.body import read_body
from collector.goals import (
    GoalSpec,
    add_dimension,
    add_goal,
    delete_dimension,
    delete_goal,
    list_dimensions,
    list_goals,
    owner_site,
)
from collector.reports.api import NO_STORE, error
from collector.reports.period import parse_id, parse_site


def _json(doc: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(doc), content_type="application/json", headers=NO_STORE
    )


async def _body(request: web.Request) -> dict[str, Any]:
    timeout = request.app[SETTINGS].body_timeout_ms / 1000
    try:
        doc = orjson.loads(await read_body(request, timeout) or b"{}")
    except orjson.JSONDecodeError:
        raise ValueError("body: not JSON") from None
    if not isinstance(doc, dict):
        raise ValueError("body: must be a JSON object")
    return doc


def _field(doc: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = doc.get(name, default)
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"{name}: must be a {kind.__name__}")
    return value


def _site(doc: dict[str, Any]) -> int:
    raw = doc.get("site")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    return parse_site(raw if isinstance(raw, str) else None if raw is None else "?")


def goal_spec(doc: dict[str, Any]) -> GoalSpec:
    spec = GoalSpec(
        name=_field(doc, "name", str, ""),
        match=_field(doc, "match", str, ""),
        pattern_type=_field(doc, "pattern_type", str),
        pattern=_field(doc, "pattern", str),
        case_sensitive=_field(doc, "case_sensitive", bool, False),
        revenue=_field(doc, "revenue", float),
        allow_multiple=_field(doc, "allow_multiple", bool, False),
        event_value_as_revenue=_field(doc, "event_value_as_revenue", bool, False),
    )
    if spec.pattern is not None and spec.pattern_type is None:
        spec = replace(spec, pattern_type="contains")  # as the command's default
    spec.check()
    return spec


async def _refused(request: web.Request, site_id: int, needed: Role) -> web.Response | None:
    principal = await api_site_caller(request, site_id, needed)
    return principal if isinstance(principal, web.Response) else None


async def _refused_for(request: web.Request, table: str, key: str) -> web.Response | int:
    """The id of the goal or dimension in the path, once the caller may manage its site."""
    try:
        item_id = parse_id("id", request.match_info["id"])
    except ValueError as exc:
        return error(400, str(exc))
    assert item_id is not None  # the route's pattern holds at least one character
    async with request.app[POOL].acquire() as conn:
        site_id = await owner_site(conn, table, key, item_id)
    if site_id is None:
        return error(404, f"unknown {table[:-1]}")
    refused = await _refused(request, site_id, Role.ADMIN)
    if refused is not None and refused.status == 404:  # another site's: as if there were none
        return error(404, f"unknown {table[:-1]}")
    return refused if refused is not None else item_id


async def goals(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    try:
        site_id = parse_site(request.query.get("site"))
    except ValueError as exc:
        return error(400, str(exc))
    if (refused := await _refused(request, site_id, Role.VIEW)) is not None:
        return refused
    try:
        async with request.app[POOL].acquire() as conn:
            rows = await list_goals(conn, site_id)
    except ValueError as exc:
        return error(404 if "unknown site" in str(exc) else 400, str(exc))
    return _json({"site": site_id, "goals": rows})


async def goal_add(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    try:
        doc = await _body(request)
        site_id = _site(doc)
        spec = goal_spec(doc)
    except ValueError as exc:
        return error(400, str(exc))
    if (refused := await _refused(request, site_id, Role.ADMIN)) is not None:
        return refused
    try:
        async with request.app[POOL].acquire() as conn:
            goal_id = await add_goal(conn, site_id, spec)
    except ValueError as exc:
        return error(404 if "unknown site" in str(exc) else 400, str(exc))
    return _json({"goal_id": goal_id}, 201)


async def goal_delete(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    if isinstance(goal_id := await _refused_for(request, "goals", "goal_id"), web.Response):
        return goal_id
    try:
        async with request.app[POOL].acquire() as conn:
            await delete_goal(conn, goal_id)
    except ValueError as exc:
        return error(404 if "unknown goal" in str(exc) else 400, str(exc))
    return _json({"deleted": goal_id})


async def dimensions(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    try:
        site_id = parse_site(request.query.get("site"))
    except ValueError as exc:
        return error(400, str(exc))
    if (refused := await _refused(request, site_id, Role.VIEW)) is not None:
        return refused
    try:
        async with request.app[POOL].acquire() as conn:
            rows = await list_dimensions(conn, site_id)
    except ValueError as exc:
        return error(404 if "unknown site" in str(exc) else 400, str(exc))
    return _json({"site": site_id, "dimensions": rows})


async def dimension_add(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    try:
        doc = await _body(request)
        site_id = _site(doc)
        name = _field(doc, "name", str, "")
        scope = _field(doc, "scope", str, "")
    except ValueError as exc:
        return error(400, str(exc))
    if (refused := await _refused(request, site_id, Role.ADMIN)) is not None:
        return refused
    try:
        async with request.app[POOL].acquire() as conn:
            dimension_id = await add_dimension(conn, site_id, name, scope)
    except ValueError as exc:
        return error(404 if "unknown site" in str(exc) else 400, str(exc))
    return _json({"dimension_id": dimension_id, "parameter": f"dimension{dimension_id}"}, 201)


async def dimension_delete(request: web.Request) -> web.Response:
    if isinstance(principal := await api_caller(request), web.Response):
        return principal
    dimension_id = await _refused_for(request, "dimensions", "dimension_id")
    if isinstance(dimension_id, web.Response):
        return dimension_id
    try:
        async with request.app[POOL].acquire() as conn:
            await delete_dimension(conn, dimension_id)
    except ValueError as exc:
        return error(404 if "unknown dimension" in str(exc) else 400, str(exc))
    return _json({"deleted": dimension_id})

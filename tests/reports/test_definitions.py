"""/api/goals and /api/dimensions over a real socket: the token, the checks, and that a goal
added over the API converts the next hit (the registry reloads on NOTIFY)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from collector.appkeys import SITES
from tests.matomo_requests import MatomoJs, report
from tests.support import Running, request

AUTH = {"Authorization": "Bearer test-token"}


async def call(
    server: Running, method: str, path: str, doc: Any = None, headers: dict | None = None
) -> tuple[int, Any]:
    status, _, body = await request(
        method,
        server.base + path,
        headers=AUTH if headers is None else headers,
        data=None if doc is None else orjson.dumps(doc),
    )
    return status, orjson.loads(body) if body else None


async def until(check: Any) -> None:
    """Wait for the NOTIFY-driven reload (an event we cannot await directly), bounded."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the site registry did not reload")


async def test_a_goal_added_over_the_api_converts_from_the_next_hit_on(server: Running) -> None:
    before = MatomoJs(server, "/contact")
    await before.get(before.pageview("Contact"))  # no goal yet: converts nothing, ever
    status, body = await call(
        server,
        "POST",
        "/api/goals",
        {"site": server.site_id, "name": "Contact", "match": "url", "pattern": "/contact"},
    )
    assert status == 201
    goal_id = body["goal_id"]
    await until(lambda: server.app[SITES].get(server.site_id).goal(goal_id) is not None)
    after = MatomoJs(server, "/contact")
    await after.get(after.pageview("Contact"))
    [row] = await report(server, "goals")
    assert (row["goal_id"], row["conversions"], row["visits_converted"]) == (goal_id, 1, 1)

    status, body = await call(server, "GET", f"/api/goals?site={server.site_id}")
    assert status == 200 and [g["name"] for g in body["goals"]] == ["Contact"]
    assert body["goals"][0]["pattern_type"] == "contains"
    assert await call(server, "DELETE", f"/api/goals/{goal_id}") == (200, {"deleted": goal_id})
    await until(lambda: server.app[SITES].get(server.site_id).goal(goal_id) is None)
    late = MatomoJs(server, "/contact")
    await late.get(late.pageview("Contact"))
    [row] = await report(server, "goals")  # a deleted goal is still named for its days
    assert (row["goal_id"], row["conversions"]) == (goal_id, 1)
    assert (await call(server, "DELETE", f"/api/goals/{goal_id}"))[0] == 404


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"name": "x", "match": "url", "pattern": "/"}, "site"),
        ({"name": "x", "match": "nothing"}, "match"),
        ({"name": "x", "match": "url", "pattern": "(", "pattern_type": "regex"}, "regular"),
        ({"name": "x", "match": "manually", "revenue": "ten"}, "revenue"),
        ({"name": "", "match": "manually"}, "name"),
    ],
)
async def test_a_bad_goal_is_refused_with_a_reason(
    server: Running, doc: dict[str, Any], reason: str
) -> None:
    status, body = await call(server, "POST", "/api/goals", {"site": server.site_id} | doc)
    if reason == "site":
        status, body = await call(server, "POST", "/api/goals", doc)
    assert status == 400 and reason in body["error"]


async def test_dimensions_over_the_api_and_a_dimension_report_of_one_dimension(
    server: Running,
) -> None:
    status, body = await call(
        server,
        "POST",
        "/api/dimensions",
        {"site": server.site_id, "name": "Plan", "scope": "action"},
    )
    assert status == 201 and body["parameter"] == f"dimension{body['dimension_id']}"
    dimension = body["dimension_id"]
    await until(lambda: server.app[SITES].get(server.site_id).dimensions != ())
    tab = MatomoJs(server)
    await tab.get(tab.pageview("A") + f"&dimension{dimension}=pro")
    await server.roll_up()
    status, _, raw = await request(
        "GET",
        f"{server.base}/api/reports/dimensions?site={server.site_id}&dimension={dimension}",
        headers=AUTH,
    )
    rows = orjson.loads(raw)["rows"]
    assert status == 200 and [(r["value"], r["actions"]) for r in rows] == [("pro", 1)]
    status, _, raw = await request(
        "GET", f"{server.base}/api/reports/pages?site={server.site_id}&goal=1", headers=AUTH
    )
    assert status == 400 and b"goal" in raw
    assert (await call(server, "DELETE", f"/api/dimensions/{dimension}"))[0] == 200


async def test_the_definitions_api_needs_the_token(server: Running) -> None:
    for method, path in (
        ("GET", f"/api/goals?site={server.site_id}"),
        ("POST", "/api/goals"),
        ("DELETE", "/api/goals/1"),
        ("GET", f"/api/dimensions?site={server.site_id}"),
    ):
        status, _ = await call(server, method, path, headers={"Authorization": "Bearer nope"})
        assert status == 401, path

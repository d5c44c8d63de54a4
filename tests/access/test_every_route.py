"""Every route of the app, asked by a user of site A for site B, answers exactly as for a
site that does not exist, and shows nothing of B. The route list comes from the app itself:
a new route that serves a site's data fails here until it has a probe (and fails at start
until collector/access/routes.py lists it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import orjson
import pytest
from aiohttp import web

from collector.access import routes, shares
from collector.access.sessions import COOKIE
from collector.goals import GoalSpec, add_dimension, add_goal
from tests.access.conftest import PASSWORD, People
from tests.support import dashboard_cookie, request

NO_SITE = 987_654_321
Answer = tuple[int, bytes]
Probe = Callable[[People, str, int], Awaitable[Answer]]


def bearer(people: People, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.tokens[role]}"}


async def _get(people: People, path: str, **kwargs: object) -> Answer:
    status, _, body = await request("GET", people.base + path, **kwargs)  # type: ignore[arg-type]
    return status, body


async def report(people: People, role: str, site: int) -> Answer:
    return await _get(people, f"/api/reports/summary?site={site}", headers=bearer(people, role))


async def live(people: People, role: str, site: int) -> Answer:
    return await _get(people, f"/api/live?site={site}", headers=bearer(people, role))


async def dashboard(people: People, role: str, site: int) -> Answer:
    cookie = await dashboard_cookie(people.base, people.names[role], PASSWORD)
    return await _get(people, f"/dashboard?site={site}", cookies={COOKIE: cookie})


def _matomo(people: People, role: str, site: int) -> dict[str, str]:
    return {
        "module": "API",
        "method": "VisitsSummary.get",
        "idSite": str(site),
        "period": "range",
        "date": "last7",
        "format": "json",
        "token_auth": people.tokens[role],
    }


async def matomo_get(people: People, role: str, site: int) -> Answer:
    return await _get(people, "/index.php?" + urlencode(_matomo(people, role, site)))


async def matomo_post(people: People, role: str, site: int) -> Answer:
    status, _, body = await request(
        "POST", people.base + "/index.php?module=API", data=_matomo(people, role, site)
    )
    return status, body


async def shares_list(people: People, role: str, site: int) -> Answer:
    return await _get(people, f"/api/sites/{site}/shares", headers=bearer(people, role))


async def share_create(people: People, role: str, site: int) -> Answer:
    status, _, body = await request(
        "POST", f"{people.base}/api/sites/{site}/shares", headers=bearer(people, role), data=b"{}"
    )
    return status, body


async def share_delete(people: People, role: str, site: int) -> Answer:
    """Revoke a link of `site` (of site B when `site` does not exist) through its path."""
    owner = site if site in (people.site_a, people.site_b) else people.site_b
    async with people.server.pool.acquire() as conn:
        share_id, _ = await shares.add_share(conn, owner, None)
    status, _, body = await request(
        "DELETE",
        f"{people.base}/api/sites/{site}/shares/{share_id}",
        headers=bearer(people, role),
    )
    async with people.server.pool.acquire() as conn:
        links = await shares.list_shares(conn, owner)
    revoked = next(s for s in links if s.share_id == share_id).revoked_at is not None
    assert revoked == (status == 204)
    return status, body


async def goals_list(people: People, role: str, site: int) -> Answer:
    return await _get(people, f"/api/goals?site={site}", headers=bearer(people, role))


async def dimensions_list(people: People, role: str, site: int) -> Answer:
    return await _get(people, f"/api/dimensions?site={site}", headers=bearer(people, role))


async def _post(people: People, role: str, path: str, doc: dict[str, object]) -> Answer:
    status, _, body = await request(
        "POST", people.base + path, headers=bearer(people, role), data=orjson.dumps(doc)
    )
    return status, body


async def goal_create(people: People, role: str, site: int) -> Answer:
    return await _post(people, role, "/api/goals", {"site": site, "name": "G", "match": "manually"})


async def dimension_create(people: People, role: str, site: int) -> Answer:
    return await _post(
        people, role, "/api/dimensions", {"site": site, "name": "D", "scope": "visit"}
    )


async def _delete_of(people: People, role: str, site: int, kind: str) -> Answer:
    """Delete a goal or dimension of `site` through its id; for a site that does not exist,
    one that does not exist either (the path names no site)."""
    item_id = 987_654_321
    if site in (people.site_a, people.site_b):
        async with people.server.pool.acquire() as conn:
            if kind == "goals":
                item_id = await add_goal(conn, site, GoalSpec(name="G", match="manually"))
            else:
                item_id = await add_dimension(conn, site, "D", "action")
    status, _, body = await request(
        "DELETE", f"{people.base}/api/{kind}/{item_id}", headers=bearer(people, role)
    )
    return status, body


async def goal_remove(people: People, role: str, site: int) -> Answer:
    return await _delete_of(people, role, site, "goals")


async def dimension_remove(people: People, role: str, site: int) -> Answer:
    return await _delete_of(people, role, site, "dimensions")


async def share_view(people: People, role: str, site: int) -> Answer:
    """A link of site A asked for another site: the page stays site A's."""
    async with people.server.pool.acquire() as conn:
        _, token = await shares.add_share(conn, people.site_a, None)
    return await _get(people, f"/share/{token}?site={site}")


async def dashboard_export(people: People, role: str, site: int) -> Answer:
    cookie = await dashboard_cookie(people.base, people.names[role], PASSWORD)
    path = f"/dashboard/export/pages.csv?site={site}"
    return await _get(people, path, cookies={COOKIE: cookie})


async def share_export(people: People, role: str, site: int) -> Answer:
    """A link of site A asked for another site's CSV: the file stays site A's."""
    async with people.server.pool.acquire() as conn:
        _, token = await shares.add_share(conn, people.site_a, None)
    return await _get(people, f"/share/{token}/export/opendata.csv?site={site}")


PROBES: dict[tuple[str, str], tuple[Probe, str]] = {
    # route: (probe, the role that asks: a user of site A; admin routes ask as A's admin)
    ("GET", "/api/reports/{name}"): (report, "viewer"),
    ("GET", "/api/live"): (live, "viewer"),
    ("GET", "/dashboard"): (dashboard, "viewer"),
    ("GET", "/index.php"): (matomo_get, "viewer"),
    ("POST", "/index.php"): (matomo_post, "viewer"),
    ("GET", "/api/sites/{site}/shares"): (shares_list, "admin"),
    ("POST", "/api/sites/{site}/shares"): (share_create, "admin"),
    ("DELETE", "/api/sites/{site}/shares/{share_id}"): (share_delete, "admin"),
    ("GET", "/share/{token}"): (share_view, "viewer"),
    ("GET", "/dashboard/export/{card}.csv"): (dashboard_export, "viewer"),
    ("GET", "/share/{token}/export/{card}.csv"): (share_export, "viewer"),
    ("GET", "/api/goals"): (goals_list, "viewer"),
    ("POST", "/api/goals"): (goal_create, "admin"),
    ("DELETE", "/api/goals/{id}"): (goal_remove, "admin"),
    ("GET", "/api/dimensions"): (dimensions_list, "viewer"),
    ("POST", "/api/dimensions"): (dimension_create, "admin"),
    ("DELETE", "/api/dimensions/{id}"): (dimension_remove, "admin"),
}


def test_every_route_is_either_public_or_probed(people: People) -> None:
    served = routes.served_routes(people.server.app)
    assert served - routes.PUBLIC == set(PROBES)
    assert set(PROBES) == routes.SITE_SCOPED


def test_an_app_with_an_unlisted_route_does_not_start() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/api/new-report", handler)
    with pytest.raises(RuntimeError, match="/api/new-report"):
        routes.check_routes(app)


def _same(body: bytes, people: People, site: int) -> bytes:
    """The body without the site id Matomo's error message repeats."""
    return body.replace(f"website id = {site}.".encode(), b"website id = SITE.")


@pytest.mark.parametrize("route", sorted(PROBES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_a_user_of_site_a_asking_for_site_b_learns_nothing_of_it(
    people: People, route: tuple[str, str]
) -> None:
    probe, role = PROBES[route]
    own_status, own_body = await probe(people, role, people.site_a)
    b_status, b_body = await probe(people, role, people.site_b)
    none_status, none_body = await probe(people, role, NO_SITE)
    assert people.name_b.encode() not in b_body
    if route == ("GET", "/share/{token}"):  # the link's site, whatever `site` says
        assert own_status == b_status == none_status == 200
        assert b"City hall" in b_body and b"data-metric" in b_body
        return
    if route == ("GET", "/share/{token}/export/{card}.csv"):
        assert own_status == b_status == none_status == 200
        assert own_body == b_body == none_body and own_body.startswith(b"day,visits,")
        return
    assert 200 <= own_status < 300, (own_status, own_body[:200])  # the probe can succeed
    assert b_status in (200, 403, 404)
    assert (b_status, _same(b_body, people, people.site_b)) == (
        none_status,
        _same(none_body, people, NO_SITE),
    )
    if route[1] == "/index.php":  # Matomo answers errors with 200 and an error object
        assert b'"result":"error"' in b_body and b'"result":"error"' not in own_body
    else:
        assert b_status == 404


async def test_a_viewer_may_not_manage_share_links_of_their_own_site(people: People) -> None:
    status, body = await share_create(people, "viewer", people.site_a)
    assert status == 403 and b"admin" in body
    status, _ = await shares_list(people, "viewer", people.site_a)
    assert status == 403

"""Share links: a read-only view of one site, maybe some cards only, revocable; never a
credential for anything else."""

from __future__ import annotations

import secrets

import orjson

from collector.access import shares
from tests.access.conftest import People
from tests.support import request


async def link(people: People, cards: tuple[str, ...] | None = None) -> tuple[int, str]:
    async with people.server.pool.acquire() as conn:
        share_id, token = await shares.add_share(conn, people.site_a, cards)
    return share_id, shares.share_path(token)


async def view(people: People, path: str) -> tuple[int, dict[str, str], bytes]:
    return await request("GET", people.base + path)


async def test_a_share_link_shows_its_sites_dashboard_read_only(people: People) -> None:
    _, path = await link(people)
    status, headers, body = await view(people, path)
    assert status == 200 and b"City hall" in body and b"data-metric" in body
    assert b'method="post"' not in body  # no form that changes anything, no logout
    assert b'<select name="site"' not in body  # no site list
    assert headers["Referrer-Policy"] == "no-referrer"  # the token leaves in no Referer
    assert f'action="{path}"'.encode() in body  # the period form stays on the link


async def test_a_share_link_limited_to_cards_shows_only_those(people: People) -> None:
    _, path = await link(people, ("summary", "pages"))
    _, _, body = await view(people, path)
    assert b'data-report="pages"' in body and b'data-metric="visits"' in body
    for hidden in (b'data-report="referrers"', b'data-report="visits-over-time"', b"/files/"):
        assert hidden not in body


async def test_a_revoked_link_is_404_like_one_that_never_existed(people: People) -> None:
    share_id, path = await link(people)
    assert (await view(people, path))[0] == 200
    async with people.server.pool.acquire() as conn:
        assert await shares.revoke_share(conn, share_id)
        assert not await shares.revoke_share(conn, share_id)  # once
    revoked = await view(people, path)
    never = await view(people, "/share/" + secrets.token_urlsafe(24))
    assert revoked[0] == never[0] == 404
    assert revoked[2] == never[2]


async def test_a_share_token_is_no_api_token(people: People) -> None:
    _, path = await link(people)
    token = path.rsplit("/", 1)[1]
    status, _, _ = await request(
        "GET",
        f"{people.base}/api/reports/summary?site={people.site_a}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 401
    _, _, body = await request(
        "GET",
        f"{people.base}/index.php?module=API&method=VisitsSummary.get&idSite={people.site_a}"
        f"&period=day&date=today&format=json&token_auth={token}",
    )
    assert orjson.loads(body)["result"] == "error"


async def test_share_links_are_stored_as_digests_only(people: People) -> None:
    from tests.support import dump_database

    _, path = await link(people)
    token = path.rsplit("/", 1)[1]
    assert token not in await dump_database(people.server.pool)


async def test_a_site_admin_makes_lists_and_revokes_links_over_the_api(people: People) -> None:
    auth = {"Authorization": f"Bearer {people.tokens['admin']}"}
    base = f"{people.base}/api/sites/{people.site_a}/shares"
    status, _, body = await request("POST", base, headers=auth, data=b'{"cards": ["pages"]}')
    assert status == 201
    made = orjson.loads(body)
    page = await view(people, made["path"])
    assert page[0] == 200 and b'data-report="pages"' in page[2]
    _, _, listed = await request("GET", base, headers=auth)
    [entry] = [s for s in orjson.loads(listed)["shares"] if s["id"] == made["id"]]
    assert entry["cards"] == ["pages"] and entry["revoked_at"] is None
    assert made["path"].rsplit("/", 1)[1].encode() not in listed  # the token is not shown again
    status, _, _ = await request("DELETE", f"{base}/{made['id']}", headers=auth)
    assert status == 204
    assert (await view(people, made["path"]))[0] == 404
    status, _, body = await request("POST", base, headers=auth, data=b'{"cards": ["nope"]}')
    assert status == 400 and b"card" in body

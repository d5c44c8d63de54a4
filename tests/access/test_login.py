"""Dashboard login: name and password, CSRF, the failed-login limit, sessions that end."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from collector.access import users
from collector.access.sessions import COOKIE
from collector.access.throttle import LoginThrottle
from tests.access.conftest import PASSWORD, People, make_people
from tests.support import (
    dashboard_cookie,
    dashboard_login,
    login_form_csrf,
    request,
    running_app,
    settings_for,
)


async def page(people: People, cookie: str, query: str = "") -> tuple[int, bytes]:
    status, _, body = await request(
        "GET", f"{people.base}/dashboard{query}", cookies={COOKIE: cookie}
    )
    return status, body


def logged_in(body: bytes) -> bool:
    return b"data-metric" in body


async def test_a_user_logs_in_by_name_and_sees_only_the_granted_site(people: People) -> None:
    cookie = await dashboard_cookie(people.base, people.names["viewer"], PASSWORD)
    status, body = await page(people, cookie)
    assert status == 200 and logged_in(body)
    assert b"City hall" in body
    assert people.name_b.encode() not in body  # not in the site list either
    assert f'<option value="{people.site_b}"'.encode() not in body


async def test_the_superuser_sees_every_site(people: People) -> None:
    cookie = await dashboard_cookie(people.base)
    _, body = await page(people, cookie)
    assert b"City hall" in body and people.name_b.encode() in body


async def test_wrong_password_and_unknown_name_get_the_same_answer(people: People) -> None:
    wrong = await dashboard_login(people.base, people.names["viewer"], "not the password")
    unknown = await dashboard_login(people.base, "nobody-at-all", PASSWORD)
    assert wrong[0] == unknown[0] == 401
    assert not any(c.startswith(COOKIE) for c in wrong[2] + unknown[2])


async def test_logout_ends_the_session_on_the_server(people: People) -> None:
    cookie = await dashboard_cookie(people.base, people.names["viewer"], PASSWORD)
    _, body = await page(people, cookie)
    csrf = body.split(b'name="csrf" value="')[1].split(b'"')[0].decode()
    status, headers, _ = await request(
        "POST", people.base + "/dashboard/logout", data={"csrf": csrf}, cookies={COOKIE: cookie}
    )
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]
    _, body = await page(people, cookie)  # the old cookie, replayed
    assert not logged_in(body) and b'name="password"' in body


async def test_logout_without_the_sessions_csrf_value_is_refused(people: People) -> None:
    cookie = await dashboard_cookie(people.base, people.names["viewer"], PASSWORD)
    status, _, _ = await request(
        "POST", people.base + "/dashboard/logout", data={"csrf": "guess"}, cookies={COOKIE: cookie}
    )
    assert status == 403
    assert logged_in((await page(people, cookie))[1])


async def test_a_password_change_ends_every_session_of_the_user(people: People) -> None:
    async with people.server.pool.acquire() as conn:
        await users.add_user(conn, "changer-" + people.names["viewer"], PASSWORD)
        await users.grant(conn, "changer-" + people.names["viewer"], people.site_a, "view")
    name = "changer-" + people.names["viewer"]
    first = await dashboard_cookie(people.base, name, PASSWORD)
    second = await dashboard_cookie(people.base, name, PASSWORD)
    other = await dashboard_cookie(people.base, people.names["viewer"], PASSWORD)
    async with people.server.pool.acquire() as conn:
        await users.set_password(conn, name, "a new long password")
    for cookie in (first, second):
        assert not logged_in((await page(people, cookie))[1])
    assert logged_in((await page(people, other))[1])  # another user's session stays
    assert (await dashboard_login(people.base, name, PASSWORD))[0] == 401
    assert (await dashboard_login(people.base, name, "a new long password"))[0] == 303


async def test_a_deleted_user_is_logged_out_and_their_token_is_dead(people: People) -> None:
    async with people.server.pool.acquire() as conn:
        name = "leaver-" + people.names["viewer"]
        await users.add_user(conn, name, PASSWORD)
        await users.grant(conn, name, people.site_a, "view")
        token = await users.new_token(conn, name)
    cookie = await dashboard_cookie(people.base, name, PASSWORD)
    async with people.server.pool.acquire() as conn:
        await users.delete_user(conn, name)
    assert not logged_in((await page(people, cookie))[1])
    status, _, _ = await request(
        "GET",
        f"{people.base}/api/reports/summary?site={people.site_a}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 401


@pytest.mark.parametrize(
    ("fields", "cookie", "headers"),
    [
        ({}, True, {}),  # no CSRF field
        ({"csrf": "forged-value-of-some-length"}, True, {}),  # field and cookie differ
        (None, False, {}),  # the field, but no login cookie (a cross-site POST has none)
        (None, True, {"Origin": "https://evil.example"}),
        (None, True, {"Sec-Fetch-Site": "cross-site"}),
    ],
    ids=["no-field", "wrong-field", "no-cookie", "foreign-origin", "cross-site"],
)
async def test_a_login_without_the_forms_csrf_value_or_from_elsewhere_is_refused(
    people: People, fields: dict[str, str] | None, cookie: bool, headers: dict[str, str]
) -> None:
    login_cookie, csrf = await login_form_csrf(people.base)
    data = {"name": "", "password": "test-token", **({"csrf": csrf} if fields is None else fields)}
    status, response_headers, _ = await request(
        "POST",
        people.base + "/dashboard/login",
        data=data,
        cookies={"collector_login": login_cookie} if cookie else None,
        headers=headers,
    )
    assert status == 403
    assert COOKIE not in response_headers.get("Set-Cookie", "")


async def test_failed_logins_are_limited_per_truncated_prefix(database_url: str) -> None:
    settings = settings_for(database_url, trusted_proxies=(ip_network("127.0.0.1/32"),))
    async with running_app(settings) as server:
        server.site_id = await server.add_site("Limit site", "limit-site.example")
        people = await make_people(server)
        name = people.names["viewer"]
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        neighbour = {"X-Forwarded-For": "203.0.200.9"}  # same /16 at mask level 2
        elsewhere = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(10):
            assert (await dashboard_login(server.base, name, "wrong", **guesser))[0] == 401
        status, headers, cookies = await dashboard_login(server.base, name, PASSWORD, **guesser)
        assert status == 429 and int(headers["Retry-After"]) > 0  # even the right password
        assert not any(c.startswith(COOKIE) for c in cookies)
        assert (await dashboard_login(server.base, name, PASSWORD, **neighbour))[0] == 429
        assert (await dashboard_login(server.base, name, PASSWORD, **elsewhere))[0] == 303


def test_the_throttle_refills_with_time_and_forgets_the_oldest_prefix() -> None:
    throttle = LoginThrottle(failures=2, window=60, max_keys=2)
    throttle.failed("a", 0)
    throttle.failed("a", 0)
    assert throttle.wait("a", 0) == pytest.approx(30)
    assert throttle.wait("a", 30) == 0  # one failure forgiven per 30 s
    throttle.failed("b", 1)
    throttle.failed("c", 1)
    assert len(throttle) == 2 and throttle.wait("a", 1) == 0  # "a" was evicted

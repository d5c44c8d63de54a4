"""No token, password or share link reaches a log line: not the access log (which has the
path, never the query), not the login's lines, not an error."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest

from collector.access import shares
from tests.access.conftest import PASSWORD, People
from tests.support import dashboard_login, request


async def test_tokens_passwords_and_share_links_are_never_logged(
    people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = people.tokens["viewer"]
    async with people.server.pool.acquire() as conn:
        _, share_token = await shares.add_share(conn, people.site_a, None)
    base = people.base
    matomo = {"module": "API", "method": "API.getMatomoVersion", "format": "json"}
    await request(
        "GET", f"{base}/api/reports/summary", headers={"Authorization": f"Bearer {token}"}
    )
    await request("GET", f"{base}/api/live?site=x", headers={"Authorization": f"Bearer {token}x"})
    await request("GET", f"{base}/index.php?" + urlencode({**matomo, "token_auth": token}))
    await request("POST", f"{base}/index.php", data={**matomo, "token_auth": token})
    await request("GET", f"{base}/share/{share_token}")
    await request("GET", f"{base}/share/{share_token}x")
    await dashboard_login(base, people.names["viewer"], PASSWORD)
    await dashboard_login(base, people.names["viewer"], PASSWORD + "-wrong")
    await dashboard_login(base, "", "test-token")
    lines = caplog.text
    assert "GET /share/…" in lines  # the access log ran, and hid the link
    for secret in (token, share_token, PASSWORD, "test-token"):
        assert secret not in lines

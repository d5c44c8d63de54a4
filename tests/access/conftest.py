"""Two sites and three users on a running app: `viewer` sees site A, `admin` manages site A,
`other` manages site B only. Each with a password and an API token."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from collector.access import users
from collector.appkeys import SITES as SITES_KEY
from collector.sites import add_site
from tests.reports.conftest import seed
from tests.support import Running, running_app, settings_for

PASSWORD = "correct horse battery"


@dataclass
class People:
    server: Running
    site_a: int
    site_b: int
    name_b: str
    names: dict[str, str] = field(default_factory=dict)  # role -> user name
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token

    @property
    def base(self) -> str:
        return self.server.base


async def make_people(server: Running) -> People:
    tag = secrets.token_hex(3)
    async with server.pool.acquire() as conn:
        site_b = await add_site(conn, f"Secret museum {tag}", [f"museum-{tag}.example"])
    await server.app[SITES_KEY].load()
    people = People(server, server.site_id, site_b, f"Secret museum {tag}")
    async with server.pool.acquire() as conn:
        for role, site, grant in (
            ("viewer", people.site_a, "view"),
            ("admin", people.site_a, "admin"),
            ("other", people.site_b, "admin"),
        ):
            name = f"{role}-{tag}"
            await users.add_user(conn, name, PASSWORD)
            await users.grant(conn, name, site, grant)
            people.names[role] = name
            people.tokens[role] = await users.new_token(conn, name)
    return people


@pytest.fixture(scope="package")
async def people(database_url: str) -> AsyncIterator[People]:
    """Site A holds the fixed hit set of tests/reports (so its reports have rows); site B is
    another department's."""
    async with running_app(settings_for(database_url)) as server:
        domain = f"access-{secrets.token_hex(4)}.example"
        server.site_id = await server.add_site("City hall", domain)
        server.domain = domain
        d1 = datetime.now(UTC).date() - timedelta(days=3)
        await seed(server, d1)
        server.clock.now = datetime.now(UTC)
        yield await make_people(server)

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support import (
    Running,
    StoppablePostgres,
    fresh_database,
    running_app,
    settings_for,
)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Running]:
    """The app on a real port with its own site (unique domain), so tests never collide."""
    async with running_app(settings_for(database_url)) as running:
        domain = f"site-{secrets.token_hex(4)}.example"
        running.site_id = await running.add_site("Test site", domain)
        running.domain = domain
        yield running


@pytest.fixture(scope="session")
def stoppable_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoppablePostgres]:
    with StoppablePostgres(tmp_path_factory.mktemp("own-pg")) as pg:
        yield pg


@pytest.fixture
def own_postgres(stoppable_postgres: StoppablePostgres) -> StoppablePostgres:
    """A PostgreSQL only this test may stop and restart (running when the test starts)."""
    if not stoppable_postgres.running:
        stoppable_postgres.start()
    return stoppable_postgres

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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
def stoppable_postgres() -> Iterator[StoppablePostgres]:
    # not under pytest's tmp_path: its 0700 directories keep the server's own user out
    with (
        tempfile.TemporaryDirectory(prefix="collector-own-pg-") as tmp,
        StoppablePostgres(Path(tmp)) as pg,
    ):
        yield pg


@pytest.fixture
def own_postgres(stoppable_postgres: StoppablePostgres) -> StoppablePostgres:
    """A PostgreSQL only this test may stop and restart (running when the test starts)."""
    if not stoppable_postgres.running:
        stoppable_postgres.start()
    return stoppable_postgres

"""The fixed hit set of tests/reports on a site of its own, for the Matomo API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.reports.conftest import Seeded, seed
from tests.support import running_app, settings_for


@pytest.fixture(scope="package")
async def seeded(database_url: str) -> AsyncIterator[Seeded]:
    async with running_app(settings_for(database_url)) as server:
        domain = f"matomo-{secrets.token_hex(4)}.example"
        server.site_id = await server.add_site("Matomo API site", domain)
        server.domain = domain
        d1 = datetime.now(UTC).date() - timedelta(days=3)
        await seed(server, d1)
        d2, d3 = d1 + timedelta(days=1), d1 + timedelta(days=2)
        server.clock.now = datetime.combine(d3 + timedelta(days=1), time(12), UTC)
        yield Seeded(server, d1, d2, d3)

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support import database_beside


@pytest.fixture
async def own_url(database_url: str) -> AsyncIterator[str]:
    """A database of the test's own: retention tests move the clock by years, and a collector
    on another clock would roll up and drop what they write (the roll-up's state and the
    hourly partitions are per database)."""
    async with database_beside(database_url) as url:
        yield url

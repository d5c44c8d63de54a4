from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext

from tests.browser import browser_context, launch_chromium


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless Debian chromium for the session; each test gets its own context."""
    async with launch_chromium() as browser:
        yield browser


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile (no cookies) with a desktop Chrome user agent."""
    async with browser_context(chromium) as ctx:
        yield ctx

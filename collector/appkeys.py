"""Typed keys for everything the aiohttp app owns (no module-level mutable state)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg
from aiohttp import web

from collector.config import Settings
from collector.metrics import Metrics
from collector.sites import SiteRegistry
from collector.storage.writer import HitWriter
from collector.tracking.ratelimit import RateLimiter

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
METRICS = web.AppKey("metrics", Metrics)
POOL = web.AppKey("pool", asyncpg.Pool)
SITES = web.AppKey("sites", SiteRegistry)
WRITER = web.AppKey("writer", HitWriter)
RATE_LIMITER: web.AppKey[RateLimiter | None] = web.AppKey("rate_limiter")

"""Typed keys for everything the aiohttp app owns (no module-level mutable state)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web

from collector.config import Settings
from collector.metrics import Metrics
from collector.privacy.receipt_limit import ReceiptLimit
from collector.retention.scheduler import Scheduler
from collector.sites import SiteRegistry
from collector.storage.writer import HitWriter
from collector.tracking.geo import GeoIP
from collector.tracking.ratelimit import RateLimiter
from collector.tracking.spam import ReferrerSpam
from collector.usage.listener import UsageListener

if TYPE_CHECKING:
    from collector.access.callers import LoginState
    from collector.tracking.endpoint import Tracking
    from collector.tracking.script import Script

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
METRICS = web.AppKey("metrics", Metrics)
POOL = web.AppKey("pool", asyncpg.Pool)  # sites, jobs, privacy endpoints, readiness
WRITE_POOL = web.AppKey("write_pool", asyncpg.Pool)  # the hit writer's own
REPORT_POOL = web.AppKey("report_pool", asyncpg.Pool)  # reports, dashboard, live
SITES = web.AppKey("sites", SiteRegistry)
WRITER = web.AppKey("writer", HitWriter)
TRACKER_SCRIPT: web.AppKey[Script] = web.AppKey("tracker_script")
SCHEDULER = web.AppKey("scheduler", Scheduler)
RATE_LIMITER: web.AppKey[RateLimiter | None] = web.AppKey("rate_limiter")
RECEIPT_LIMIT = web.AppKey("receipt_limit", ReceiptLimit)
TRACKING: web.AppKey[Tracking] = web.AppKey("tracking")
LOGIN: web.AppKey[LoginState] = web.AppKey("login")
GEOIP: web.AppKey[GeoIP | None] = web.AppKey("geoip")  # None: no COLLECTOR_GEOIP_DB
REFERRER_SPAM: web.AppKey[ReferrerSpam | None] = web.AppKey("referrer_spam")
USAGE_LISTENER: web.AppKey[UsageListener | None] = web.AppKey("usage_listener")  # when on

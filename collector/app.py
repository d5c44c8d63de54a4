"""Builds the aiohttp application: routes, and its resources in start-up order.

Resources (one cleanup context each, torn down in reverse): the GeoIP database, the referrer
spam list, database pools and migrations, the site registry, the hit writer, the usage intake
(syslog listener and its writer, when COLLECTOR_USAGE_LOG_LISTEN is set), the scheduler.
`create_app(settings)` does no I/O; running the app does. Three pools, so that no report can
take the connections the writer needs, and every report query has a statement timeout.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import asyncpg
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from collector.access import login, routes, share_api, share_view
from collector.access.callers import LoginState
from collector.appkeys import (
    CLOCK,
    GEOIP,
    LOGIN,
    METRICS,
    POOL,
    RATE_LIMITER,
    RECEIPT_LIMIT,
    REFERRER_SPAM,
    REPORT_POOL,
    SCHEDULER,
    SETTINGS,
    SITES,
    USAGE_LISTENER,
    WRITE_POOL,
    WRITER,
)
from collector.config import Settings
from collector.matomo import api as matomo_api
from collector.metrics import Metrics
from collector.privacy import me, page, switch
from collector.privacy.receipt_limit import ReceiptLimit
from collector.reports import api as reports_api
from collector.reports import dashboard, definitions, export, live_script, openapi
from collector.retention.horizon import guard, raw_gone_before
from collector.retention.purge import HOURS_AHEAD
from collector.retention.scheduler import Scheduler
from collector.server_log import ServerLog
from collector.sites import SiteRegistry
from collector.storage.db import WRITE_TIMEOUT, create_pool, migrate
from collector.storage.partitions import ensure_partitions, hour_of
from collector.storage.writer import HitWriter
from collector.tracking import cors, endpoint, script
from collector.tracking.bots import bot_list
from collector.tracking.devices import device_list
from collector.tracking.enrich import parse_agent
from collector.tracking.geo import open_geoip
from collector.tracking.ratelimit import RateLimiter
from collector.tracking.spam import open_referrer_spam
from collector.usage.intake import Intake
from collector.usage.listener import UsageListener
from collector.usage.writer import UsageWriter

log = logging.getLogger(__name__)
READY_TIMEOUT = 2.0
_USAGE_DEPTH = "usage lines waiting to be written"
_USAGE_DROPS = "syslog datagrams the kernel dropped, its socket buffer full (Linux)"
# aiohttp's HTTP parser limits (README, "Limits"). The request line holds the query string,
# which may be 16 KiB (params.LIMITS): allow that plus a path, so our 414 speaks, not the parser.
HTTP_LIMITS = {"max_line_size": 16384 + 1024, "max_field_size": 8190, "max_headers": 64}


class UsageListenFailed(OSError):
    """The usage log address cannot be listened on; the message is one line."""


class AccessLogger(AbstractAccessLogger):
    """Method, path without query, status, time. Never the client address (P2), never the
    query string (it may carry `cip`, `uid` or personal data in URLs)."""

    @property
    def enabled(self) -> bool:
        # As aiohttp's own: a logger that would drop the line costs nothing per request,
        # and the pixel protocol answers without the task (tracking/pixel_protocol.py).
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms",
            request.method,
            logged_path(request.path),
            response.status,
            time * 1000,
        )


def logged_path(path: str) -> str:
    """The path as a log line may show it: a share link's path is its secret token."""
    return "/share/…" if path.startswith("/share/") else path


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    assert settings.database_url, "serve starts the embedded database before the app"
    pool = await create_pool(settings.database_url)
    async with pool.acquire() as conn:
        await migrate(conn)
        await ensure_partitions(conn, app[CLOCK](), HOURS_AHEAD)
    app[POOL] = pool
    app[WRITE_POOL] = await create_pool(
        settings.database_url,
        max_size=2,
        statement_timeout=WRITE_TIMEOUT,
        name="collector-writer",
    )
    app[REPORT_POOL] = await create_pool(
        settings.database_url,
        max_size=4,
        statement_timeout=f"{settings.report_timeout_ms}ms",
        name="collector-reports",
        custom_plans=True,
    )
    yield
    for each in (app[REPORT_POOL], app[WRITE_POOL], pool):
        await each.close()


async def _sites(app: web.Application) -> AsyncIterator[None]:
    registry = SiteRegistry(app[POOL])
    await registry.start()
    app[SITES] = registry
    yield
    await registry.stop()


async def _geoip(app: web.Application) -> AsyncIterator[None]:
    """The operator's GeoIP database, or None (logged either way: countries on or off)."""
    settings = app[SETTINGS]
    geoip = open_geoip(settings.geoip_db, settings.ip_mask_level)
    app[GEOIP] = geoip
    yield
    if geoip is not None:
        geoip.close()


async def _referrer_spam(app: web.Application) -> AsyncIterator[None]:
    """The operator's referrer spam list, or None (logged either way)."""
    app[REFERRER_SPAM] = open_referrer_spam(app[SETTINGS].referrer_spam_list)
    yield


async def _writer(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    clock = app[CLOCK]
    writer = HitWriter(
        app[WRITE_POOL],
        app[METRICS],
        capacity=s.queue_size,
        batch_size=s.batch_size,
        flush_interval=s.flush_interval_ms / 1000,
        spill_dir=s.data_dir / "spill",
        spill_max_bytes=s.spill_max_bytes,
        spill_interval=s.spill_interval_ms / 1000,
        storable_from=lambda: hour_of(raw_gone_before(clock(), s.retention_days)),
        journal=s.durability == "fsync",
    )
    writer.start()
    app[WRITER] = writer
    yield
    await writer.close()  # SIGTERM: the server stopped taking requests; write what we hold
    log.info("writer=closed")


async def _usage(app: web.Application) -> AsyncIterator[None]:
    """The syslog listener for web-server access logs and its writer, with their own pool:
    a flood of log lines must not take the connections hits are written with."""
    s = app[SETTINGS]
    app[USAGE_LISTENER] = None
    if s.usage_log_listen is None:
        app[METRICS].gauge("usage_queue_depth", lambda: 0, _USAGE_DEPTH)
        app[METRICS].gauge("usage_udp_kernel_drops", lambda: 0, _USAGE_DROPS)
        yield
        return
    assert s.database_url
    pool = await create_pool(s.database_url, max_size=2, statement_timeout=WRITE_TIMEOUT)
    clock = app[CLOCK]
    writer = UsageWriter(
        pool,
        app[METRICS],
        capacity=s.queue_size,
        batch_size=s.batch_size,
        flush_interval=s.flush_interval_ms / 1000,
        storable_from=lambda: guard(clock(), s.usage_retention_days),
    )
    app[METRICS].gauge("usage_queue_depth", lambda: writer.depth, _USAGE_DEPTH)
    writer.start()
    host, port = s.usage_log_listen
    intake = Intake(s, clock, sites=app[SITES].all)
    listener = UsageListener(host, port, intake, writer, app[METRICS])
    try:
        await listener.start()
    except OSError as exc:
        await writer.close()
        await pool.close()
        why = exc.strerror or type(exc).__name__
        raise UsageListenFailed(f"COLLECTOR_USAGE_LOG_LISTEN {host}:{port}: {why}") from None
    app[USAGE_LISTENER] = listener
    app[METRICS].gauge("usage_udp_kernel_drops", listener.kernel_drops, _USAGE_DROPS)
    yield
    await listener.stop()  # first: no more lines; then write what is held
    await writer.close()
    await pool.close()
    log.info("usage_writer=closed")


async def _warm(app: web.Application) -> None:
    """Build the user-agent rules, bot and device lists (a few seconds) before the first hit,
    not during it; and move start-up objects out of the garbage collector's way (fewer,
    shorter pauses)."""
    bot_list()
    device_list()
    parse_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")  # "" would skip the rules
    gc.freeze()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    # After the writer: the jobs run on start (roll-up, expired hours dropped, partitions
    # ahead), then on their triggers; on shutdown a running job is cancelled before the pool
    # closes (its open transaction rolls back).
    scheduler = Scheduler(app[POOL], app[SETTINGS], app[CLOCK])
    scheduler.start()
    app[SCHEDULER] = scheduler
    yield
    await scheduler.stop()


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database answers, else 503 (the collector still accepts hits,
    into memory and the spill file, but a load balancer may prefer another instance)."""
    try:
        async with request.app[POOL].acquire(timeout=READY_TIMEOUT) as conn:
            await conn.fetchval("SELECT 1", timeout=READY_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return web.json_response(
            {"status": "unavailable", "database": type(exc).__name__}, status=503
        )
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=request.app[METRICS].render(), content_type="text/plain")


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> web.Application:
    handler_args = {
        **HTTP_LIMITS,
        # aiohttp's own lines quote the peer and the request line: ours are short (P2)
        "logger": ServerLog(logging.getLogger("aiohttp.server")),
        "auto_decompress": False,  # body.py refuses compressed bodies; inflate none of them
        # Slow clients: aiohttp's keep-alive timer runs from the connection's start and from
        # each answer, and closes the connection while no complete request head is in, so it
        # is also the header timeout (aiohttp has no other). Bodies: body.py's timeout, and
        # the same bound for draining a body the handler did not read.
        "keepalive_timeout": settings.header_timeout_ms / 1000,
        "lingering_time": settings.body_timeout_ms / 1000,
        # A client that goes away cancels its handler, and so its query (asyncpg cancels a
        # query whose task is cancelled): an abandoned report must not hold a connection.
        "handler_cancellation": True,
    }
    app = web.Application(client_max_size=settings.max_body_bytes, handler_args=handler_args)
    app[SETTINGS] = settings
    app[CLOCK] = clock or endpoint.utcnow
    app[METRICS] = Metrics()
    app[RATE_LIMITER] = (
        RateLimiter(settings.rate_limit, settings.rate_limit_burst) if settings.rate_limit else None
    )
    app[RECEIPT_LIMIT] = ReceiptLimit(settings.receipt_rate_limit, settings.receipt_max_per_hour)
    app[LOGIN] = LoginState()
    app.cleanup_ctx.extend([_geoip, _referrer_spam, _database, _sites, _writer, _usage, _scheduler])
    app.on_startup.extend([_warm, endpoint.bind])
    for path in sorted(cors.TRACKING_PATHS):
        app.router.add_get(path, cors.with_cors(endpoint.pixel))
        app.router.add_post(path, cors.with_cors(endpoint.post))
    app.cleanup_ctx.append(script.loaded)
    app.router.add_get("/tracker.js", script.tracker_js)
    cors.setup(app)
    app.router.add_get("/optout", page.optout_page)
    app.router.add_post("/optout", switch.opt_out)
    app.router.add_post("/optin", switch.opt_in)
    app.router.add_get("/privacy/me", me.export)
    app.router.add_delete("/privacy/me", me.erase)
    app.router.add_post("/privacy/me/erase", me.erase_form)
    for path in ("/optout", "/optin", "/privacy/me"):
        app.router.add_route("OPTIONS", path, switch.preflight)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/reports", reports_api.report_list)
    app.router.add_get("/api/reports/{name}", reports_api.report)
    app.router.add_get("/api/live", reports_api.live)
    app.router.add_get("/api/goals", definitions.goals)
    app.router.add_post("/api/goals", definitions.goal_add)
    app.router.add_delete("/api/goals/{id}", definitions.goal_delete)
    app.router.add_get("/api/dimensions", definitions.dimensions)
    app.router.add_post("/api/dimensions", definitions.dimension_add)
    app.router.add_delete("/api/dimensions/{id}", definitions.dimension_delete)
    app.router.add_get("/api/openapi.json", openapi.openapi)
    app.router.add_get("/dashboard", dashboard.dashboard)
    app.router.add_get("/dashboard/live.{hash}.js", live_script.live_js)
    app.router.add_post("/dashboard/login", login.login)
    app.router.add_post("/dashboard/logout", login.logout)
    app.router.add_get("/share/{token}", share_view.share_view)
    app.router.add_get("/dashboard/export/{card}.csv", export.dashboard_export)
    app.router.add_get("/share/{token}/export/{card}.csv", share_view.share_export)
    app.router.add_get("/api/sites/{site}/shares", share_api.shares_list)
    app.router.add_post("/api/sites/{site}/shares", share_api.share_create)
    app.router.add_delete("/api/sites/{site}/shares/{share_id}", share_api.share_delete)
    app.router.add_route("GET", "/index.php", matomo_api.reporting_api)
    app.router.add_route("POST", "/index.php", matomo_api.reporting_api)
    app.router.add_get("/readyz", readyz)
    routes.check_routes(app)  # every route says whether it serves a site's data
    return app

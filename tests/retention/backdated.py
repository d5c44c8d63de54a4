"""Back-dated visits for retention tests: an app whose clock is set in the past, bulk
requests with `cdt` and `token_auth`, then time moved forward for the jobs."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from collector.appkeys import SCHEDULER
from collector.config import Settings
from collector.retention.scheduler import JOBS, Outcome, run_job
from tests.support import CONSENT, Clock, Running, request, running_app


@contextlib.asynccontextmanager
async def app_at(
    settings: Settings,
    now: datetime,
    site: tuple[int, str] | None = None,
    timezone: str = "UTC",
) -> AsyncIterator[Running]:
    """The app with its clock at `now` and a site of its own (unique domain, in `timezone`),
    or `site` (id, domain) again; entered once the jobs it runs on start have finished, so
    that a test's own job run is not skipped for their lock."""
    async with running_app(settings, Clock(now)) as running:
        for job in JOBS:
            await running.app[SCHEDULER].wait_for(job.name)
        if site is None:
            domain = f"ret-{secrets.token_hex(4)}.example"
            site = (await running.add_site("Retention test", domain, timezone=timezone), domain)
        running.site_id, running.domain = site
        yield running


async def visit(running: Running, start: datetime, *hits: str | dict[str, Any]) -> None:
    """One visit (one bulk request: one new session), a hit a minute from `start`.

    Each hit is a page path, or parameters with an optional "path" for the page URL.
    """
    requests = []
    for i, hit in enumerate(hits):
        extra = {"path": hit} if isinstance(hit, str) else dict(hit)
        cdt = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S")
        params = running.hit_params(cdt=cdt)
        if path := extra.pop("path", None):
            params["url"] = f"https://{running.domain}{path}"
        params.update(extra)
        requests.append("?" + urlencode(params))
    body = orjson.dumps({"requests": requests, "token_auth": "test-token"})
    status, _, text = await request(
        "POST", running.base + "/matomo.php", cookies=CONSENT, data=body
    )
    assert status == 200, text


async def run(running: Running, job_name: str, now: datetime, *, dry_run: bool = False) -> Outcome:
    """Run a job now, as the scheduler would at `now` (the roll-up first takes in everything
    written so far, with no margin: the test flushed)."""
    if job_name == "hits" and not dry_run:
        running.clock.now = now
        await running.roll_up()
    job = next(j for j in JOBS if j.name == job_name)
    async with running.pool.acquire() as conn:
        return await run_job(conn, job, running.settings, now, dry_run=dry_run)

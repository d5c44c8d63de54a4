"""HTTP handlers for Matomo's tracking API: pixel GET, form POST, bulk JSON POST. Thin.

Order for every call: room in the writer's queue, else 503 (before any parsing) -> decode
the query or body -> truncate the IP (P2) -> consent gate (P1) -> session (P3) -> per
request: validate, enrich -> offer to the writer's queue -> answer. Nothing here awaits the
database. Without consent the answer is the same as with it, and nothing is kept.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from collector.appkeys import (
    CLOCK,
    GEOIP,
    METRICS,
    RATE_LIMITER,
    REFERRER_SPAM,
    SETTINGS,
    SITES,
    TRACKING,
    WRITER,
)
from collector.body import read_body
from collector.config import Settings
from collector.metrics import Metrics
from collector.storage.writer import HitWriter
from collector.tracking.anonymise import anonymise_ip, client_address
from collector.tracking.consent import gate, parse_cookies
from collector.tracking.geo import NOWHERE, GeoIP
from collector.tracking.hit import Drop, Hit
from collector.tracking.params import HitContext, Reject, Site, parse_query
from collector.tracking.pipeline import process_hit
from collector.tracking.ratelimit import RateLimiter
from collector.tracking.session import (
    SESSION_COOKIE,
    new_session,
    session_cookie_header,
    session_from_cookie,
)
from collector.tracking.spam import ReferrerSpam


@dataclass(slots=True)
class Tracking:
    """What the hit path uses, looked up once at start-up rather than app[...] per use."""

    settings: Settings
    metrics: Metrics
    writer: HitWriter
    find_site: Callable[[int], Site | None]
    clock: Callable[[], datetime]
    limiter: RateLimiter | None
    geoip: GeoIP | None
    referrer_spam: ReferrerSpam | None


async def bind(app: web.Application) -> None:
    """on_startup, after the cleanup contexts have made the writer and the site registry."""
    app[TRACKING] = Tracking(
        app[SETTINGS],
        app[METRICS],
        app[WRITER],
        app[SITES].get,
        app[CLOCK],
        app[RATE_LIMITER],
        app[GEOIP],
        app[REFERRER_SPAM],
    )


GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = "no-store"


def _reject(reject: Reject) -> web.Response:
    return web.Response(
        status=reject.status, text=reject.reason + "\n", headers={"Cache-Control": NO_STORE}
    )


def _answer(params: Mapping[str, str], tracked: int | None) -> web.Response:
    if tracked is not None:  # bulk: Matomo answers JSON
        body = orjson.dumps({"status": "success", "tracked": tracked, "invalid": 0})
        return web.Response(
            body=body, content_type="application/json", headers={"Cache-Control": NO_STORE}
        )
    if params.get("send_image") == "0":
        return web.Response(status=204, headers=_NO_CONTENT_HEADERS)
    return web.Response(body=GIF, headers=_GIF_HEADERS)


# Built once: aiohttp would otherwise parse a content_type argument on every answer.
_GIF_HEADERS = CIMultiDictProxy(
    CIMultiDict({"Content-Type": "image/gif", "Cache-Control": NO_STORE})
)
_NO_CONTENT_HEADERS = CIMultiDictProxy(CIMultiDict({"Cache-Control": NO_STORE}))


def _peer(request: web.Request) -> str | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return peer[0] if isinstance(peer, tuple) else None


def _is_https(request: web.Request, peer_trusted: bool) -> bool:
    if peer_trusted:
        return request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return request.secure


async def track(
    request: web.Request, t: Tracking, batch: list[dict[str, str]], *, bulk: bool
) -> web.Response:
    settings, metrics = t.settings, t.metrics
    headers = request.headers
    peer = _peer(request)
    full = client_address(peer, headers, settings.trusted_proxies)
    ip_prefix = anonymise_ip(full, settings.ip_mask_level)  # P2: first, before anything else
    peer_trusted = full != peer
    if t.limiter is not None and (limited := _rate_limited(t, ip_prefix, len(batch))) is not None:
        return limited

    first = batch[0] if batch else {}
    cookies = parse_cookies(headers.get("Cookie"))
    drop = gate(cookies, headers, settings.consent_cookies, settings.privacy_signals)
    if drop is not None:
        metrics.count("hits_dropped", drop.reason, len(batch))
        return _answer(first, 0 if bulk else None)

    session_id = session_from_cookie(cookies.get(SESSION_COOKIE))
    # Once per request, from the truncated address only (geo.py); cached per prefix.
    location = t.geoip.locate(ip_prefix) if t.geoip is not None else NOWHERE
    ctx = HitContext(
        session_id=session_id or new_session(),
        new_session=session_id is None,
        ip_prefix=ip_prefix,
        user_agent=headers.get("User-Agent", ""),
        accept_language=headers.get("Accept-Language"),
        now=t.clock(),
        country=location.country,
        region=location.region,
        ua_mobile=headers.get("Sec-CH-UA-Mobile"),
        ua_platform=headers.get("Sec-CH-UA-Platform"),
    )
    hits: list[Hit] = []
    for index, params in enumerate(batch):
        result = process_hit(
            params,
            ctx,
            t.find_site,
            api_token=settings.api_token,
            retention_days=settings.retention_days,
            referrer_spam=t.referrer_spam,
        )
        if isinstance(result, Reject):
            metrics.count("hits_rejected", amount=len(batch))
            reason = f"request {index}: {result.reason}" if bulk else result.reason
            return _reject(Reject(result.status, reason))
        if isinstance(result, Drop):
            metrics.count("hits_dropped", result.reason)
            if result.kind is not None:
                metrics.count("bots_dropped", result.kind)
        else:
            hits.append(result)

    if hits and not t.writer.offer(hits):
        return _queue_full(metrics, len(hits))
    metrics.count("hits_accepted", amount=len(hits))
    response = _answer(first, len(hits) if bulk else None)
    if hits and ctx.new_session:
        response.headers["Set-Cookie"] = session_cookie_header(
            ctx.session_id, _is_https(request, peer_trusted)
        )
    return response


def _refuse_if_full(t: Tracking, hits: int) -> web.Response | None:
    """503 when the queue cannot take `hits` now. Asked before a request is parsed, so that
    under overload the CPU goes to writing, not to hits that would be refused anyway."""
    if t.writer.has_room(hits):
        return None
    return _queue_full(t.metrics, hits)


def _queue_full(metrics: Metrics, hits: int) -> web.Response:
    metrics.count("hits_refused_full", amount=hits)
    return web.Response(
        status=503,
        text="queue full, retry later\n",
        headers={"Retry-After": "1", "Cache-Control": NO_STORE},
    )


def _rate_limited(t: Tracking, ip_prefix: str | None, hits: int) -> web.Response | None:
    """429 when this request's IP prefix is over its rate (a rate is set)."""
    assert t.limiter is not None
    wait = t.limiter.take(ip_prefix or "", hits, t.clock().timestamp())
    if not wait:
        return None
    t.metrics.count("hits_rate_limited", amount=hits)
    return web.Response(
        status=429,
        text="too many requests from this network, retry later\n",
        headers={"Retry-After": str(math.ceil(wait)), "Cache-Control": NO_STORE},
    )


def _query_string(request: web.Request) -> str:
    return request.raw_path.partition("?")[2]


async def pixel(request: web.Request) -> web.Response:
    t = request.app[TRACKING]
    if (full := _refuse_if_full(t, 1)) is not None:
        return full
    params = parse_query(_query_string(request))
    if isinstance(params, Reject):
        return _reject(params)
    return await track(request, t, [params], bulk=False)


async def post(request: web.Request) -> web.Response:
    """Form-encoded parameters, or Matomo's bulk JSON `{"requests": ["?idsite=…", …]}`."""
    t = request.app[TRACKING]
    body = await read_body(request, t.settings.body_timeout_ms / 1000)
    url_params = parse_query(_query_string(request))
    if isinstance(url_params, Reject):
        return _reject(url_params)
    if body.lstrip()[:1] == b"{":
        bulk = _bulk(body, t.settings.bulk_max_requests)
        if isinstance(bulk, Reject):
            return _reject(bulk)
        items, token = bulk
        if (full := _refuse_if_full(t, len(items))) is not None:
            return full
        batch = _bulk_params(items, token)
        if isinstance(batch, Reject):
            return _reject(batch)
        return await track(request, t, batch, bulk=True)
    if (full := _refuse_if_full(t, 1)) is not None:
        return full
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _reject(Reject(400, "body is not valid UTF-8"))
    form = parse_query(text)
    if isinstance(form, Reject):
        return _reject(form)
    return await track(request, t, [{**url_params, **form}], bulk=False)


def _bulk(body: bytes, max_requests: int) -> tuple[list[object], object] | Reject:
    """The `requests` list and `token_auth` of a bulk body, its shape and size checked."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Reject(400, "invalid JSON")
    requests = doc.get("requests") if isinstance(doc, dict) else None
    if not isinstance(requests, list) or not requests:
        return Reject(400, 'bulk JSON needs a non-empty "requests" list')
    if len(requests) > max_requests:
        return Reject(413, f"at most {max_requests} requests in one bulk")
    return requests, doc.get("token_auth")


def _bulk_params(items: list[object], token: object) -> list[dict[str, str]] | Reject:
    batch = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            return Reject(400, f"request {index}: not a string")
        params = parse_query(item.split("?", 1)[1] if "?" in item else item)
        if isinstance(params, Reject):
            return Reject(params.status, f"request {index}: {params.reason}")
        if token:
            params.setdefault("token_auth", str(token))
        batch.append(params)
    return batch


def utcnow() -> datetime:
    return datetime.now(UTC)

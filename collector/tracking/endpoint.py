"""HTTP handlers for Matomo's tracking API: pixel GET, form POST, bulk JSON POST. Thin.

Order for every call: room in the writer's queue, else 503 (before any parsing) -> decode
the query or body -> truncate the IP (P2) -> consent gate (P1) -> session (P3) -> per
request: validate, enrich -> offer to the writer's queue -> answer. Nothing here awaits the
database; with COLLECTOR_DURABILITY=fsync the answer waits for the journal's fsync (one for
all hits of about a millisecond). Without consent the answer is the same as with it, and
nothing is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from collector.tracking.consent import consent_names, gate, parse_cookies
from collector.tracking.geo import NOWHERE, GeoIP
from collector.tracking.hit import Drop, Hit
from collector.tracking.params import (
    LIMITS,
    MAX_PARAMS,
    HitContext,
    Reject,
    Site,
    parse_query,
    token_valid,
)
from collector.tracking.pipeline import process_hit
from collector.tracking.ratelimit import RateLimiter
from collector.tracking.raw_answer import GIF, NO_STORE, RawAnswer
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
    consent_names: tuple[str, ...]  # collector_consent and COLLECTOR_CONSENT_COOKIES
    geoip: GeoIP | None
    referrer_spam: ReferrerSpam | None
    durable: bool  # COLLECTOR_DURABILITY=fsync: answer once the hits are in the journal


async def bind(app: web.Application) -> None:
    """on_startup, after the cleanup contexts have made the writer and the site registry."""
    settings = app[SETTINGS]
    app[TRACKING] = Tracking(
        settings,
        app[METRICS],
        app[WRITER],
        app[SITES].get,
        app[CLOCK],
        app[RATE_LIMITER],
        consent_names(settings.consent_cookies),
        app[GEOIP],
        app[REFERRER_SPAM],
        app[WRITER].journal is not None,
    )


def _reject(reject: Reject) -> web.Response:
    return web.Response(
        status=reject.status, text=reject.reason + "\n", headers={"Cache-Control": NO_STORE}
    )


@dataclass(slots=True)
class Bulk:
    """A bulk request's own fields: Matomo's BulkTracking answers with what it tracked, how
    many requests were invalid, and which ones only to the holder of the token."""

    authorised: bool  # its token_auth is COLLECTOR_API_TOKEN
    send_image: bool = True  # "send_image": 0 in the body: 204, no answer body
    invalid: list[int] | None = None  # indices of requests refused before parsing

    def answer(self, tracked: int, invalid: list[int]) -> web.Response:
        if not self.send_image:
            return web.Response(status=204, headers=_NO_CONTENT_HEADERS)
        doc: dict[str, object] = {"status": "success", "tracked": tracked, "invalid": len(invalid)}
        if self.authorised:
            doc["invalid_indices"] = invalid
        return web.Response(
            body=orjson.dumps(doc),
            content_type="application/json",
            headers={"Cache-Control": NO_STORE},
        )


def answer(send_image: bool, cookie: str | None) -> web.StreamResponse:
    """A pixel request's answer: the GIF, or 204 for send_image=0; with the session cookie
    when it is new. The pre-dispatch (predispatch.py) answers the same in raw bytes."""
    if send_image:
        response = web.Response(body=GIF, headers=_GIF_HEADERS)
    else:
        response = web.Response(status=204, headers=_NO_CONTENT_HEADERS)
    if cookie is not None:
        response.headers["Set-Cookie"] = cookie
    return response


# What answers a single hit: `answer` (the app's routes) or raw_answer.Answers.pixel.
PixelAnswer = Callable[[bool, str | None], web.StreamResponse | RawAnswer]
Answer = web.StreamResponse | RawAnswer


def _sends_image(params: Mapping[str, str] | None) -> bool:
    return params is None or params.get("send_image") != "0"


# Built once: aiohttp would otherwise parse a content_type argument on every answer.
_GIF_HEADERS = CIMultiDictProxy(
    CIMultiDict({"Content-Type": "image/gif", "Cache-Control": NO_STORE})
)
_NO_CONTENT_HEADERS = CIMultiDictProxy(CIMultiDict({"Cache-Control": NO_STORE}))
_NO_STORE_HEADERS = {"Cache-Control": NO_STORE}


def _peer(request: web.BaseRequest) -> str | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return peer[0] if isinstance(peer, tuple) else None


@dataclass(slots=True)
class Admitted:
    """A request's hits, validated and enriched, not yet offered to the writer."""

    hits: list[Hit]
    invalid: list[int]  # indexes of a bulk's invalid requests
    ctx: HitContext
    peer_trusted: bool  # the address came from a trusted proxy's header


def admit(
    t: Tracking,
    headers: Mapping[str, str],
    peer: str | None,
    batch: list[dict[str, str] | None],
    bulk: Bulk | None,
    pixel_answer: PixelAnswer,
) -> Answer | Admitted:
    """Everything before the queue: the answer when the request ends here (rate limit, no
    consent, a single request's Reject), else its hits. A None in `batch` is a bulk request
    already found invalid."""
    settings, metrics = t.settings, t.metrics
    full = client_address(peer, headers, settings.trusted_proxies)
    ip_prefix = anonymise_ip(full, settings.ip_mask_level)  # P2: first, before anything else
    if t.limiter is not None and (limited := _rate_limited(t, ip_prefix, len(batch))) is not None:
        return limited

    cookies = parse_cookies(headers.get("Cookie"))
    drop = gate(cookies, headers, t.consent_names, settings.privacy_signals)
    if drop is not None:
        metrics.count("hits_dropped", drop.reason, len(batch))
        return bulk.answer(0, []) if bulk else pixel_answer(_sends_image(batch[0]), None)

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
    processed = _process_all(t, batch, ctx, single=bulk is None)
    if isinstance(processed, Reject):
        return _reject(processed)
    hits, invalid = processed
    return Admitted(hits, invalid, ctx, full != peer)


def accepted(
    t: Tracking,
    admitted: Admitted,
    headers: Mapping[str, str],
    secure: bool,
    batch: list[dict[str, str] | None],
    bulk: Bulk | None,
    pixel_answer: PixelAnswer,
) -> Answer:
    """The answer once the admitted hits are in the queue (or the journal). `secure`: the
    connection is TLS (what decides the cookie's Secure flag without a trusted proxy)."""
    hits = admitted.hits
    t.metrics.count("hits_accepted", amount=len(hits))
    cookie = None
    if hits and admitted.ctx.new_session:
        https = (
            headers.get("X-Forwarded-Proto", "").lower() == "https"
            if admitted.peer_trusted
            else secure
        )
        cookie = session_cookie_header(admitted.ctx.session_id, https)
    if bulk is None:
        return pixel_answer(_sends_image(batch[0]), cookie)
    response = bulk.answer(len(hits), invalid=admitted.invalid)
    if cookie is not None:
        response.headers["Set-Cookie"] = cookie
    return response


async def track(
    request: web.BaseRequest,
    t: Tracking,
    batch: list[dict[str, str] | None],
    bulk: Bulk | None = None,
    pixel_answer: PixelAnswer = answer,
) -> Answer:
    """Track one request (`bulk` None) or a bulk's requests; a None in `batch` is a bulk
    request already found invalid. A single request is answered by `pixel_answer`."""
    headers = request.headers
    admitted = admit(t, headers, _peer(request), batch, bulk, pixel_answer)
    if not isinstance(admitted, Admitted):
        return admitted
    hits = admitted.hits
    if hits and (refused := await _offer_durably(t, hits) if t.durable else _offer(t, hits)):
        return refused
    return accepted(t, admitted, headers, request.secure, batch, bulk, pixel_answer)


def track_pixel_now(
    query: str,
    headers: Mapping[str, str],
    peer: str | None,
    secure: bool,
    t: Tracking,
    pixel_answer: PixelAnswer,
) -> Answer:
    """A pixel GET tracked without awaiting anything (not with COLLECTOR_DURABILITY=fsync):
    what the pixel protocol (pixel_protocol.py) answers as the request's bytes arrive."""
    if (full := _refuse_if_full(t, 1)) is not None:
        return full
    params = parse_query(query)
    if isinstance(params, Reject):
        return _reject(params)
    batch: list[dict[str, str] | None] = [params]
    admitted = admit(t, headers, peer, batch, None, pixel_answer)
    if not isinstance(admitted, Admitted):
        return admitted
    if admitted.hits and (refused := _offer(t, admitted.hits)):
        return refused
    return accepted(t, admitted, headers, secure, batch, None, pixel_answer)


def _process_all(
    t: Tracking, batch: list[dict[str, str] | None], ctx: HitContext, *, single: bool
) -> tuple[list[Hit], list[int]] | Reject:
    """(the hits to store, the indexes of invalid bulk requests), or a single request's
    Reject. A None in `batch` is a bulk request found invalid already."""
    settings, metrics = t.settings, t.metrics
    hits: list[Hit] = []
    invalid: list[int] = []
    received = ctx.now
    for index, params in enumerate(batch):
        if index:
            # A bulk's requests without cdt, a microsecond apart in the order sent: the
            # roll-up orders a session's hits by time, and Matomo keeps a bulk's order.
            ctx.now = received + timedelta(microseconds=index)
        result = (
            process_hit(
                params,
                ctx,
                t.find_site,
                api_token=settings.api_token,
                retention_days=settings.retention_days,
                referrer_spam=t.referrer_spam,
            )
            if params is not None
            else None
        )
        if result is None or isinstance(result, Reject):
            metrics.count("hits_rejected")
            if single:
                assert result is not None
                return result
            invalid.append(index)  # as Matomo's BulkTracking: the others are tracked
        elif isinstance(result, Drop):
            metrics.count("hits_dropped", result.reason)
            if result.kind is not None:
                metrics.count("bots_dropped", result.kind)
        else:
            hits.append(result)

    return hits, invalid


def _offer(t: Tracking, hits: list[Hit]) -> web.Response | None:
    """None once `hits` are in the queue; else the 503 to answer."""
    return None if t.writer.offer(hits) else _queue_full(t.metrics, len(hits))


async def _offer_durably(t: Tracking, hits: list[Hit]) -> web.Response | None:
    """None once `hits` are in the journal on disk; else the 503 to answer."""
    try:
        if await t.writer.offer_durably(hits):
            return None
    except OSError:  # the disk refused them (logged by the journal): not acknowledged
        t.metrics.count("hits_refused_disk", amount=len(hits))
        return web.Response(
            status=503,
            text="could not be stored, retry later\n",
            headers={"Retry-After": "1", "Cache-Control": NO_STORE},
        )
    return _queue_full(t.metrics, len(hits))


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


def _query_string(request: web.BaseRequest) -> str:
    return request.raw_path.partition("?")[2]


def _routed(response: Answer) -> web.StreamResponse:
    assert isinstance(response, web.StreamResponse)  # `answer` gives Responses only
    return response


async def pixel(request: web.Request) -> web.StreamResponse:
    return _routed(await track_pixel(request, request.app[TRACKING], answer))


async def track_pixel(request: web.BaseRequest, t: Tracking, pixel_answer: PixelAnswer) -> Answer:
    """A pixel GET: the route's handler, and the pre-dispatch's (predispatch.py)."""
    if (full := _refuse_if_full(t, 1)) is not None:
        return full
    params = parse_query(_query_string(request))
    if isinstance(params, Reject):
        return _reject(params)
    return await track(request, t, [params], None, pixel_answer)


async def post(request: web.Request) -> web.StreamResponse:
    """Form-encoded parameters, or Matomo's bulk JSON `{"requests": ["?idsite=…", …]}`."""
    t = request.app[TRACKING]
    body = await read_body(request, t.settings.body_timeout_ms / 1000)
    url_params = parse_query(_query_string(request))
    if isinstance(url_params, Reject):
        return _reject(url_params)
    if body.lstrip()[:1] == b"{":
        parsed = _bulk(body, t.settings.bulk_max_requests)
        if isinstance(parsed, Reject):
            return _reject(parsed)
        items, token, send_image = parsed
        if (full := _refuse_if_full(t, len(items))) is not None:
            return full
        bulk = Bulk(authorised=token_valid(token, t.settings.api_token), send_image=send_image)
        return _routed(await track(request, t, _bulk_params(items, token), bulk))
    if (full := _refuse_if_full(t, 1)) is not None:
        return full
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _reject(Reject(400, "body is not valid UTF-8"))
    form = parse_query(text)
    if isinstance(form, Reject):
        return _reject(form)
    return _routed(await track(request, t, [{**url_params, **form}]))


def _bulk(body: bytes, max_requests: int) -> tuple[list[object], str | None, bool] | Reject:
    """The `requests` list, `token_auth` and `send_image` of a bulk body, its shape and size
    checked: what is wrong with the body as a whole is a 4xx (one bad request is not)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Reject(400, "invalid JSON")
    requests = doc.get("requests") if isinstance(doc, dict) else None
    if not isinstance(requests, list) or not requests:
        return Reject(400, 'bulk JSON needs a non-empty "requests" list')
    if len(requests) > max_requests:
        return Reject(413, f"at most {max_requests} requests in one bulk")
    token = doc.get("token_auth")
    send_image = str(doc.get("send_image", "1")) not in ("0", "False", "false")
    return requests, token if isinstance(token, str) else None, send_image


def _bulk_params(items: list[object], token: str | None) -> list[dict[str, str] | None]:
    """Each request's parameters: a query string ("?idsite=…") or, as Matomo also takes, an
    object of parameters; None for one that is neither, or whose encoding is broken."""
    batch: list[dict[str, str] | None] = []
    for item in items:
        params: dict[str, str] | Reject | None = None
        if isinstance(item, str):
            params = parse_query(item.split("?", 1)[1] if "?" in item else item)
        elif isinstance(item, dict):
            params = _object_params(item)
        if params is None or isinstance(params, Reject):
            batch.append(None)
            continue
        if token:
            params.setdefault("token_auth", token)
        batch.append(params)
    return batch


def _object_params(item: dict[object, object]) -> dict[str, str] | None:
    """A bulk request given as a JSON object: its values as the strings a query would hold."""
    if len(item) > MAX_PARAMS:
        return None
    params: dict[str, str] = {}
    for key, value in item.items():
        if not isinstance(key, str) or isinstance(value, dict | list) or value is None:
            return None
        text = (
            value
            if isinstance(value, str)
            else str(int(value) if isinstance(value, bool) else value)
        )
        if "\0" in text or "\0" in key or len(text) > LIMITS["query"]:
            return None
        params[key] = text
    return params


def utcnow() -> datetime:
    return datetime.now(UTC)

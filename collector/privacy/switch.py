"""POST /optin and POST /optout: record the choice, set or clear the cookies (P6, P7).

Same-site only (a third party must not opt a visitor in). A form gets a 303 back (to a
configured site's `return_to`, or to the page); `Accept: application/json` gets JSON, for a
consent banner's `fetch(..., {credentials: "include"})`. Opt-out works at once: the consent
cookies expire in this answer and `collector_optout` vetoes any the browser still sends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from collector.appkeys import CLOCK, METRICS, POOL, RECEIPT_LIMIT, SETTINGS, SITES
from collector.body import read_body, read_form
from collector.config import Settings
from collector.privacy.cookies import is_https, opt_in_cookies, opt_out_cookies, peer_is_trusted
from collector.privacy.origin import (
    cors_origin,
    is_allowed_origin,
    safe_return_to,
    site_for_host,
    url_host,
)
from collector.privacy.receipts import NO_SITE, Choice, Receipt, new_receipt, write_receipt
from collector.tracking.anonymise import anonymise_ip, client_address
from collector.tracking.params import Site, parse_site_id

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}
CROSS_SITE = (
    "cross-site request: the browser keeps no SameSite=Lax cookie from this answer and sends "
    "none with this page's hits, so the choice would not take effect; nothing recorded. Serve "
    "the collector on the page's own site (same host, or a subdomain of its domain)"
)
TOO_MANY = "too many consent choices from this network or in all just now; retry later"
UNRECORDED_NOTE = "opt-out applied; no receipt written: too many receipts just now"


def own_hosts(request: web.Request, settings: Settings) -> list[str]:
    """host[:port] this collector answers as: the Host header, and a trusted proxy's
    X-Forwarded-Host (a client cannot make a browser send a foreign Host)."""
    hosts = [request.host]
    forwarded = request.headers.get("X-Forwarded-Host")
    if forwarded and peer_is_trusted(request, settings):
        hosts.append(forwarded.split(",", 1)[0].strip())
    return hosts


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def refuse(request: web.Request, status: int, reason: str) -> web.Response:
    if wants_json(request):
        return web.json_response({"error": reason}, status=status, headers=NO_STORE)
    return web.Response(status=status, text=reason + "\n", headers=NO_STORE)


def add_cors(request: web.Request, response: web.StreamResponse) -> None:
    """Let a configured site's page read the answer of its credentialed fetch."""
    app = request.app
    origin = cors_origin(request.headers, own_hosts(request, app[SETTINGS]), app[SITES].all())
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Vary"] = "Origin"


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight for a banner on a site's own origin (JSON POST, DELETE /privacy/me)."""
    app = request.app
    if not cors_origin(request.headers, own_hosts(request, app[SETTINGS]), app[SITES].all()):
        return refuse(request, 403, "origin is not a configured site")
    response = web.Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
    response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    add_cors(request, response)
    return response


async def request_fields(request: web.Request) -> dict[str, str]:
    """idsite, return_to, back, lang, embed: from the query, a form or a JSON body."""
    fields: dict[str, str] = dict(request.query)
    timeout = request.app[SETTINGS].body_timeout_ms / 1000
    if request.content_type == "application/json":
        try:
            doc = orjson.loads(await read_body(request, timeout) or b"{}")
        except orjson.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            raise web.HTTPBadRequest(text="body is not a JSON object\n")
        fields.update({k: str(v) for k, v in doc.items() if isinstance(v, str | int)})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields.update(await read_form(request, timeout))
    return fields


def choose_site(
    headers: Mapping[str, str], fields: Mapping[str, str], sites: list[Site]
) -> int | None:
    """The site a receipt is for: the requesting site's page, a named idsite, the return_to
    host; NO_SITE when none is named; None for an idsite that does not exist."""
    if found := site_for_host(url_host(headers.get("Origin") or headers.get("Referer")), sites):
        return found.site_id
    if idsite := fields.get("idsite"):
        site_id = parse_site_id(idsite)
        return site_id if site_id in {s.site_id for s in sites} else None
    if found := site_for_host(url_host(fields.get("return_to")), sites):
        return found.site_id
    return NO_SITE


def back_to_page(fields: Mapping[str, str], *keys: str, **extra: str) -> str:
    """The page again (relative, so a path prefix in front of the collector still works),
    with its language, embedding, site and back link, `keys` of `fields`, and `extra`."""
    names = ("lang", "embed", "idsite", "back", *keys)
    keep = {k: fields[k] for k in names if fields.get(k)} | extra
    return "optout" + ("?" + urlencode(keep) if keep else "")


async def switch(request: web.Request, choice: Choice) -> web.Response:
    app = request.app
    settings, sites = app[SETTINGS], app[SITES].all()
    if not is_allowed_origin(request.headers, own_hosts(request, settings), sites):
        return refuse(request, 403, "cross-site request refused: not from a configured site")
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # A configured site, but another site than the collector's (the browser says so; the
        # Host we see may be a proxy's). A receipt here would record a choice that cannot
        # work, so none is written, and the site's banner may read why.
        refused = refuse(request, 403, CROSS_SITE)
        add_cors(request, refused)
        return refused
    fields = await request_fields(request)
    return_to = fields.get("return_to")
    if return_to and safe_return_to(return_to, sites) is None:
        return refuse(request, 400, "return_to is not on a configured site")
    site_id = choose_site(request.headers, fields, sites)
    if site_id is None:
        return refuse(request, 400, "unknown idsite")

    receipt = new_receipt(site_id, choice, app[CLOCK](), settings.policy_version)
    wait = app[RECEIPT_LIMIT].take(ip_prefix(request, settings), receipt.ts.timestamp())
    if wait:
        app[METRICS].count("receipts_limited", choice.value)  # no log line: a flood is cheap
        if choice is Choice.OPT_IN:
            limited = refuse(request, 429, TOO_MANY)
            limited.headers["Retry-After"] = str(math.ceil(wait))
            add_cors(request, limited)
            return limited
        # A withdrawal is never refused (P6): it takes effect, without a receipt.
        return _answer(request, receipt, recorded=False, location=return_to or back_to_page(fields))
    async with app[POOL].acquire() as conn:
        await write_receipt(conn, receipt)
    app[METRICS].count("consent_receipts", choice.value)
    log.info("consent=%s site=%d", choice.value, site_id)
    return _answer(request, receipt, recorded=True, location=return_to or back_to_page(fields))


def ip_prefix(request: web.Request, settings: Settings) -> str:
    """The client's truncated address (P2: truncated at once), to key the receipt limit."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    address = client_address(
        peer[0] if isinstance(peer, tuple) else None, request.headers, settings.trusted_proxies
    )
    return anonymise_ip(address, settings.ip_mask_level) or ""


def _answer(
    request: web.Request, receipt: Receipt, *, recorded: bool, location: str
) -> web.Response:
    """JSON for a banner's fetch, else a 303; the cookies of the choice either way."""
    settings = request.app[SETTINGS]
    response: web.Response
    if wants_json(request):
        body: dict[str, Any] = {"consent": receipt.choice is Choice.OPT_IN, **receipt.as_json()}
        if not recorded:
            body.update(receipt_id=None, note=UNRECORDED_NOTE)
        response = web.Response(
            body=orjson.dumps(body), content_type="application/json", headers=NO_STORE
        )
    else:
        response = web.Response(status=303, headers={**NO_STORE, "Location": location})
    secure = is_https(request, settings)
    if receipt.choice is Choice.OPT_IN:
        cookies = opt_in_cookies(receipt.receipt_id, receipt.ts, settings, secure)
    else:
        cookies = opt_out_cookies(
            receipt.receipt_id if recorded else None, receipt.ts, settings, secure
        )
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie)
    add_cors(request, response)
    return response


async def opt_in(request: web.Request) -> web.Response:
    return await switch(request, Choice.OPT_IN)


async def opt_out(request: web.Request) -> web.Response:
    return await switch(request, Choice.OPT_OUT)

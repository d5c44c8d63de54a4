"""The cookies the consent switches set and clear (promises P6, P7; P10 for `Secure`).

`collector_consent` holds the opt-in receipt id, `collector_optout` the opt-out receipt id:
the visitor keeps the proof of their own choice. Neither is HttpOnly, so a site's banner can
tell that a choice was made and stay hidden. Both last one year, `Path=/`, SameSite=Lax, with
`Domain` when `COLLECTOR_COOKIE_DOMAIN` is set so the site's pages and the collector share them.

Matomo's tracker reads its own cookies, so the switches write those too, as matomo.js writes
them (a time in milliseconds): opting in sets `mtm_consent` (`rememberConsentGiven`) and
clears `mtm_consent_removed`, so a page using `requireConsent` resumes; opting out clears
every consent cookie and sets `mtm_consent_removed` (`forgetConsentGiven`), so open pages
stop sending, and expires `collector_session`, so visits before an opt-out and after a later
opt-in are not linked.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

from collector.config import Settings
from collector.tracking.consent import MATOMO_REMOVED_COOKIE, OPTOUT_COOKIE
from collector.tracking.session import SESSION_COOKIE, session_from_cookie

CONSENT_COOKIE = "collector_consent"
MATOMO_CONSENT_COOKIE = "mtm_consent"
MATOMO_COOKIE_CONSENT_COOKIE = "mtm_cookie_consent"  # requireCookieConsent
LIFETIME = timedelta(days=365)
UNRECORDED = "unrecorded"  # an opt-out without a receipt: still a veto, names no receipt
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


def set_cookie(name: str, value: str, now: datetime, *, secure: bool, domain: str | None) -> str:
    """A one-year cookie, as a Set-Cookie value."""
    expires = format_datetime(now + LIFETIME, usegmt=True)
    attrs = [
        f"{name}={value}",
        f"Max-Age={int(LIFETIME.total_seconds())}",
        f"Expires={expires}",
        "Path=/",
        "SameSite=Lax",
    ]
    if domain:
        attrs.append(f"Domain={domain}")
    if secure:
        attrs.append("Secure")
    return "; ".join(attrs)


def clear_cookies(
    name: str, *, secure: bool, domain: str | None, http_only: bool = False
) -> list[str]:
    """Set-Cookie values that expire `name`: host-only, and for `domain` when one is set
    (a cookie is only removed by the same Domain it was set with)."""
    base = f"{name}=; Max-Age=0; Expires={_EPOCH}; Path=/; SameSite=Lax"
    base += "; HttpOnly" if http_only else ""
    base += "; Secure" if secure else ""
    return [base] + ([f"{base}; Domain={domain}"] if domain else [])


def _millis(now: datetime) -> str:
    """What matomo.js writes into its consent cookies: `new Date().getTime()`."""
    return str(int(now.timestamp() * 1000))


def opt_in_cookies(
    receipt_id: uuid.UUID, now: datetime, settings: Settings, secure: bool
) -> list[str]:
    domain = settings.cookie_domain
    return [
        set_cookie(CONSENT_COOKIE, receipt_id.hex, now, secure=secure, domain=domain),
        set_cookie(MATOMO_CONSENT_COOKIE, _millis(now), now, secure=secure, domain=domain),
        *clear_cookies(OPTOUT_COOKIE, secure=secure, domain=domain),
        *clear_cookies(MATOMO_REMOVED_COOKIE, secure=secure, domain=domain),
    ]


def opt_out_cookies(
    receipt_id: uuid.UUID | None, now: datetime, settings: Settings, secure: bool
) -> list[str]:
    """Withdrawal: every consent cookie we can reach expires (Matomo's too, so its own tracker
    stops), `mtm_consent_removed` tells matomo.js so, and `collector_optout` vetoes any we cannot
    reach (consent gate). It holds the receipt id, or `UNRECORDED` when no receipt could be
    written (receipt limit). The session cookie goes too: a later opt-in starts afresh."""
    domain = settings.cookie_domain
    names = (CONSENT_COOKIE, MATOMO_CONSENT_COOKIE, MATOMO_COOKIE_CONSENT_COOKIE)
    cleared = [
        value
        for name in dict.fromkeys((*names, *settings.consent_cookies))
        for value in clear_cookies(name, secure=secure, domain=domain)
    ]
    value = receipt_id.hex if receipt_id else UNRECORDED
    return [
        *cleared,
        set_cookie(OPTOUT_COOKIE, value, now, secure=secure, domain=domain),
        set_cookie(MATOMO_REMOVED_COOKIE, _millis(now), now, secure=secure, domain=domain),
        *clear_session_cookie(secure),
    ]


def clear_session_cookie(secure: bool) -> list[str]:
    return clear_cookies(SESSION_COOKIE, secure=secure, domain=None, http_only=True)


def receipt_ids(cookies: Mapping[str, str]) -> list[uuid.UUID]:
    """The receipt ids the visitor holds (ours only: `mtm_consent` holds a timestamp)."""
    ids = (session_from_cookie(cookies.get(name)) for name in (CONSENT_COOKIE, OPTOUT_COOKIE))
    return [uuid.UUID(hex=i) for i in ids if i is not None]


def peer_is_trusted(request: web.Request, settings: Settings) -> bool:
    """The peer is one of our proxies (its X-Forwarded-* headers are believed)."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not isinstance(peer, tuple) or not settings.trusted_proxies:
        return False
    try:
        ip = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in net for net in settings.trusted_proxies)


def is_https(request: web.Request, settings: Settings) -> bool:
    """Served over https: directly, or as a trusted proxy says in X-Forwarded-Proto."""
    if peer_is_trusted(request, settings):
        return request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return request.secure

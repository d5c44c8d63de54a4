"""Where a privacy request comes from, and where it may go back to: pure functions.

A third party must not opt a visitor in (or erase their data): the switches and DELETE
/privacy/me accept a request only from the collector's own origin or a configured site's
domain (or a subdomain of one). `return_to` is honoured only for those hosts, so the
collector is never an open redirect. The same host list makes the page's CSP.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from collector.tracking.params import Site

_CONTROL = frozenset(chr(c) for c in range(33)) | {"\\", "\x7f"}


def url_host(url: str | None) -> str | None:
    """The host of a URL from a header or a form, or None (urlsplit raises on "http://[")."""
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def site_for_host(host: str | None, sites: Iterable[Site]) -> Site | None:
    """The site owning `host` (its domain or a subdomain); the lowest id when several do."""
    if not host:
        return None
    host = host.lower().rstrip(".")
    owners = [s for s in sites if s.owns(host)]
    return min(owners, key=lambda s: s.site_id) if owners else None


def _host_of(url: str) -> tuple[str, str] | None:
    """(scheme, netloc) of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.netloc.lower()


def is_allowed_origin(
    headers: Mapping[str, str], own_hosts: Iterable[str], sites: Iterable[Site]
) -> bool:
    """True for a request from the collector itself or a configured site (same-site).

    Browsers send `Origin` on every POST and DELETE; without one, `Sec-Fetch-Site` or the
    `Referer` decides. With none of them the source is unknown and the request is refused.
    """
    own = {h.lower() for h in own_hosts}
    sites = list(sites)
    source = headers.get("Origin")
    if source is None:
        fetch_site = headers.get("Sec-Fetch-Site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "same-site", "none")
        source = headers.get("Referer")
    if not source:
        return False
    found = _host_of(source)
    if found is None:  # includes Origin: null (sandboxed frames, data: URLs)
        return False
    netloc = found[1]
    return netloc in own or site_for_host(url_host(source), sites) is not None


def cors_origin(
    headers: Mapping[str, str], own_hosts: Iterable[str], sites: Iterable[Site]
) -> str | None:
    """The `Origin` to echo in Access-Control-Allow-Origin: a configured site's, never `*`."""
    origin = headers.get("Origin")
    found = _host_of(origin) if origin else None
    if origin is None or found is None or found[1] in {h.lower() for h in own_hosts}:
        return None  # none, bad, or our own origin: no CORS header needed
    return origin if site_for_host(url_host(origin), sites) else None


def safe_return_to(url: str | None, sites: Iterable[Site]) -> str | None:
    """`url` when it is an absolute http(s) URL on a configured site's host, else None."""
    if not url or any(c in _CONTROL for c in url):
        return None
    if _host_of(url) is None:
        return None
    return url if site_for_host(url_host(url), sites) else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def site_sources(sites: Iterable[Site]) -> list[str]:
    """CSP sources for every site's domains and subdomains, https and http, any port."""
    out: list[str] = []
    for domain in sorted({d for s in sites for d in s.domains}):
        hosts = [domain] if _is_ip(domain) or domain == "localhost" else [domain, f"*.{domain}"]
        out.extend(f"{scheme}://{host}:*" for host in hosts for scheme in ("https", "http"))
    return out


def content_security_policy(sites: Iterable[Site], stylesheet: str) -> str:
    """Nothing loads from anywhere (P5); the page's one inline `stylesheet` by its hash, no
    other style (not even a style attribute); forms post here and may be redirected back to
    a site; only the sites (and the collector) may frame the page."""
    sources = " ".join(["'self'", *site_sources(sites)])
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
        f"form-action {sources}; frame-ancestors {sources}"
    )

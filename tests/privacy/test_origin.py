"""Pure checks: where a privacy request may come from and go back to; the page's CSP."""

from __future__ import annotations

import pytest

from collector.privacy.origin import (
    content_security_policy,
    cors_origin,
    is_allowed_origin,
    safe_return_to,
    site_for_host,
)
from collector.tracking.params import Site

SITES = [Site(1, "City", ("city.example",)), Site(2, "Local", ("127.0.0.1",))]
OWN = ["stats.collector.example:8000"]


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "https://city.example"}, True),
        ({"Origin": "https://www.city.example:8443"}, True),
        ({"Origin": "http://stats.collector.example:8000"}, True),
        ({"Origin": "http://stats.collector.example:9999"}, False),
        ({"Origin": "https://evilcity.example"}, False),
        ({"Origin": "https://city.example.evil.example"}, False),
        ({"Origin": "null"}, False),
        ({"Origin": "https://evil.example", "Sec-Fetch-Site": "same-site"}, False),
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "cross-site", "Referer": "https://city.example/"}, False),
        ({"Referer": "https://www.city.example/page"}, True),
        ({"Referer": "https://evil.example/?city.example"}, False),
        ({}, False),
    ],
)
def test_only_the_collector_and_configured_sites_are_same_site(
    headers: dict[str, str], allowed: bool
) -> None:
    assert is_allowed_origin(headers, OWN, SITES) is allowed


def test_cors_echoes_a_site_origin_only() -> None:
    assert cors_origin({"Origin": "https://www.city.example"}, OWN, SITES) == (
        "https://www.city.example"
    )
    assert cors_origin({"Origin": "https://evil.example"}, OWN, SITES) is None
    assert cors_origin({"Origin": "http://stats.collector.example:8000"}, OWN, SITES) is None


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://city.example/privacy", True),
        ("http://www.city.example:8080/a?b=c#d", True),
        ("https://evil.example/?city.example", False),
        ("https://city.example@evil.example/", False),
        ("https://evil.example\\@city.example/", False),
        ("//city.example/", False),
        ("/optout", False),
        ("javascript://city.example/%0aalert(1)", False),
        ("https://city.example/\nSet-Cookie: x", False),
        ("https://city.example:99999/", False),
        ("", False),
    ],
)
def test_return_to_is_kept_only_on_a_site_domain(url: str, kept: bool) -> None:
    assert (safe_return_to(url, SITES) == url) is kept


def test_site_for_host_picks_the_owner_of_a_subdomain() -> None:
    assert site_for_host("WWW.City.example", SITES) == SITES[0]
    assert site_for_host("city.example.org", SITES) is None


def test_csp_loads_nothing_and_lets_only_the_sites_frame_the_page() -> None:
    csp = content_security_policy(SITES, "p{color:red}")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    # the one stylesheet by its hash (echo -n 'p{color:red}' | openssl sha256 -binary | base64)
    assert directives["style-src"] == "'sha256-p0bF+un5yUb9MBO6xRb8kPHlY2BdpHVtLiFkDrZPF64='"
    ancestors = directives["frame-ancestors"].split()
    assert ancestors == directives["form-action"].split()
    assert set(ancestors) == {
        "'self'",
        "https://city.example:*",
        "http://city.example:*",
        "https://*.city.example:*",
        "http://*.city.example:*",
        "https://127.0.0.1:*",
        "http://127.0.0.1:*",
    }

"""CORS on the tracking endpoint: credentials for a site's own origins, nothing for others."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from collector.tracking.cors import cors_headers, origin_host
from tests.support import CONSENT, Running, request


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://www.example.org", "www.example.org"),
        ("http://127.0.0.1:8080", "127.0.0.1"),
        ("https://WWW.Example.org", "www.example.org"),
        ("null", None),
        ("", None),
        (None, None),
        ("file://", None),
        ("https://www.example.org/path", None),
        ("https://[::1", None),
    ],
)
def test_origin_host_reads_only_http_origins(origin: str | None, host: str | None) -> None:
    assert origin_host(origin) == host


def test_cors_headers_name_the_origin_only_when_its_host_is_allowed() -> None:
    allowed = cors_headers("https://www.example.org", lambda h: h == "www.example.org")
    assert allowed == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": "https://www.example.org",
        "Access-Control-Allow-Credentials": "true",
    }
    assert cors_headers("https://evil.example", lambda h: False) == {"Vary": "Origin"}


async def test_site_registry_owns_subdomains_but_not_lookalikes(server: Running) -> None:
    from collector.appkeys import SITES

    sites = server.app[SITES]
    assert sites.owns_host(server.domain)
    assert sites.owns_host("www." + server.domain)
    assert sites.owns_host(server.domain.upper() + ".")
    assert not sites.owns_host("evil" + server.domain)
    assert not sites.owns_host(server.domain + ".evil.example")


async def test_preflight_from_a_sibling_host_of_a_site_is_allowed_with_credentials(
    server: Running,
) -> None:
    origin = f"https://www.{server.domain}"
    for path in ("/matomo.php", "/piwik.php"):
        status, raw, _ = await request(
            "OPTIONS",
            server.base + path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        headers = CIMultiDict(raw)
        assert status == 204
        assert headers["Access-Control-Allow-Origin"] == origin
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in headers["Access-Control-Allow-Methods"]
        assert headers["Access-Control-Allow-Headers"].lower() == "content-type"
        assert headers["Vary"] == "Origin"


async def test_preflight_from_a_foreign_origin_gets_no_cors_headers(server: Running) -> None:
    status, raw, _ = await request(
        "OPTIONS",
        server.base + "/matomo.php",
        headers={
            "Origin": "https://tracker-abuse.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    headers = CIMultiDict(raw)
    assert status == 204
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers


async def test_hits_from_a_site_origin_are_answered_with_credentialed_cors(server: Running) -> None:
    origin = f"https://www.{server.domain}"
    status, raw, _ = await request(
        "POST",
        server.base + "/matomo.php",
        cookies=CONSENT,
        headers={"Origin": origin},
        data=server.hit_params(send_image=0),
    )
    headers = CIMultiDict(raw)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == origin
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "collector_session=" in headers["Set-Cookie"]
    await server.flush()
    assert len(await server.rows()) == 1


async def test_a_rejection_is_readable_by_the_site_script(server: Running) -> None:
    origin = f"https://{server.domain}"
    status, raw, body = await server.get(
        "/matomo.php",
        {"idsite": server.site_id, "rec": 1},
        cookies=CONSENT,
        headers={"Origin": origin},
    )
    assert status == 400 and b"url" in body
    assert CIMultiDict(raw)["Access-Control-Allow-Origin"] == origin


async def test_hits_from_a_foreign_origin_get_no_cors_headers(server: Running) -> None:
    _, raw, _ = await server.get(
        "/matomo.php", server.hit_params(), headers={"Origin": "https://elsewhere.example"}
    )
    headers = CIMultiDict(raw)
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Vary"] == "Origin"


async def test_other_paths_get_no_cors_headers(server: Running) -> None:
    _, raw, _ = await server.get("/healthz", headers={"Origin": f"https://{server.domain}"})
    assert "Access-Control-Allow-Origin" not in CIMultiDict(raw)


async def test_a_body_over_the_limit_is_refused_readably_for_the_site_script(
    server: Running,
) -> None:
    origin = f"https://{server.domain}"
    huge = b"{" + b" " * (server.settings.max_body_bytes + 10) + b"}"
    status, raw, _ = await request(
        "POST", server.base + "/matomo.php", headers={"Origin": origin}, data=huge
    )
    headers = CIMultiDict(raw)
    assert status == 413  # raised by aiohttp inside request.read(), not returned by us
    assert headers["Access-Control-Allow-Origin"] == origin
    assert headers["Vary"] == "Origin"

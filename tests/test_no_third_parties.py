"""Promise P5: nothing leaves this server. The collector opens no outbound connection, and
no page or script it serves loads anything from another host."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from pathlib import Path

import psutil

from tests.support import CONSENT, Running, free_port, request
from tests.test_cli import _hit, _start, _stop, _wait_healthy, collector, env  # noqa: F401

# src/href/action/url(...) pointing at an absolute http(s) URL or a protocol-relative one
_EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//"""
)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# CSP directives that fetch something; form-action and frame-ancestors name our own sites
_FETCH = (
    "default-src",
    "script-src",
    "style-src",
    "img-src",
    "font-src",
    "connect-src",
    "media-src",
    "object-src",
    "frame-src",
    "worker-src",
    "manifest-src",
)


def _external(text: str) -> re.Match[str] | None:
    return _EXTERNAL.search(_COMMENT.sub("", text))


def _loopback(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback


def test_a_running_collector_connects_to_nothing_but_its_database(env: dict[str, str]) -> None:  # noqa: F811
    # Hits full of foreign URLs: referrers, outlinks, downloads. None may be fetched or looked up.
    site_id = int(collector("site", "add", "--name", "P5", "--domain", "p5.example", env=env))
    port = free_port()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        for i in range(5):
            assert _hit(port, site_id, "p5.example", i) == 200
        for extra in (
            "&urlref=https://www.google.de/",
            "&link=https://elsewhere.example/x",
            "&download=https://cdn.example.net/f.pdf",
        ):
            url = (
                f"http://127.0.0.1:{port}/matomo.php?idsite={site_id}&rec=1"
                f"&url=https://p5.example/{extra}"
            )
            status, _, _ = asyncio.run(request("GET", url, cookies=CONSENT))
            assert status == 200
        conns = psutil.Process(proc.pid).net_connections(kind="inet")
    finally:
        _stop(proc)
    assert any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns)
    remote = {c.raddr.ip for c in conns if c.raddr}
    assert all(_loopback(ip) for ip in remote), remote  # the database at most, on loopback


async def test_served_pages_and_scripts_reference_no_other_host(server: Running) -> None:
    from collector.reports.live_script import live_script_path

    pages = ["/optout", "/optout?lang=de&embed=1", "/tracker.js", "/api/openapi.json", "/dashboard"]
    pages.append(live_script_path())
    for path in pages:
        status, headers, body = await server.get(path)
        assert status == 200, path
        assert not _external(body.decode()), (path, _external(body.decode()))
        for directive in headers.get("Content-Security-Policy", "").split(";"):
            name, *sources = directive.split() or [""]
            if name in _FETCH:
                assert not [s for s in sources if "//" in s or "." in s], (path, directive)


def test_no_font_image_or_script_files_from_a_cdn_are_shipped() -> None:
    static = Path(__file__).parent.parent / "collector" / "static"
    for path in static.rglob("*"):
        if path.is_file():
            assert not _external(path.read_text(errors="ignore")), path

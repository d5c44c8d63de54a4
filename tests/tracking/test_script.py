"""GET /tracker.js: size, caching, compression, and nothing else of collector/static/ served."""

from __future__ import annotations

import gzip
from importlib import resources

import pytest
from multidict import CIMultiDict

from collector.tracking.script import accepts_gzip, build_script, etag_matches
from tests.support import Running

SOURCE = resources.files("collector").joinpath("static/tracker.js").read_bytes()


def test_tracker_is_under_3_kb_gzipped() -> None:
    assert len(gzip.compress(SOURCE, compresslevel=9)) < 3 * 1024


def test_tracker_source_is_readable_not_minified() -> None:
    lines = SOURCE.decode().splitlines()
    assert len(lines) > 50 and max(len(line) for line in lines) <= 120


def test_etag_is_a_content_hash_that_changes_with_the_content() -> None:
    a, b = build_script(b"one"), build_script(b"two")
    assert a.etag != b.etag and a.etag == build_script(b"one").etag
    assert a.etag.startswith('"') and not a.etag.startswith("W/")
    assert a.gzip_etag != a.etag  # another representation, another strong tag


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("*", True),
    ],
)
def test_gzip_is_used_only_when_accepted(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_if_none_match_uses_weak_comparison() -> None:
    script = build_script(b"x")
    assert etag_matches(script.etag, script)
    assert etag_matches(f'"other", W/{script.gzip_etag}', script)
    assert not etag_matches('"other"', script)


async def test_tracker_js_is_served_with_type_caching_headers_and_etag(server: Running) -> None:
    status, raw, body = await server.get("/tracker.js", headers={"Accept-Encoding": "identity"})
    headers = CIMultiDict(raw)  # aiohttp's client may spell it "Etag"
    assert status == 200
    assert body == SOURCE
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert headers["ETag"] == build_script(SOURCE).etag
    assert "Content-Encoding" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers


async def test_tracker_js_is_gzipped_when_the_client_accepts_it(server: Running) -> None:
    status, headers, body = await server.get("/tracker.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert body == SOURCE  # aiohttp's client decodes it
    assert int(headers["Content-Length"]) < 3 * 1024


async def test_tracker_js_answers_304_to_a_matching_if_none_match(server: Running) -> None:
    _, raw, _ = await server.get("/tracker.js", headers={"Accept-Encoding": "gzip"})
    etag = CIMultiDict(raw)["ETag"]
    status, headers, body = await server.get(
        "/tracker.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert (status, body) == (304, b"")
    assert CIMultiDict(headers)["ETag"] == etag
    status, _, _ = await server.get("/tracker.js", headers={"If-None-Match": '"stale"'})
    assert status == 200


@pytest.mark.parametrize(
    "path", ["/static/tracker.js", "/tracker.js/", "/static/", "/collector/static/tracker.js"]
)
async def test_nothing_else_of_the_static_folder_is_served(server: Running, path: str) -> None:
    status, _, _ = await server.get(path)
    assert status == 404


def test_every_tracker_option_is_in_the_readme() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent.parent / "README.md").read_text()
    options = set(re.findall(r"option\('([a-z-]+)'", SOURCE.decode()))
    assert options >= {"site", "consent-cookies", "require-consent", "downloads", "heartbeat"}
    assert [o for o in sorted(options) if f"`data-{o}`" not in readme] == []

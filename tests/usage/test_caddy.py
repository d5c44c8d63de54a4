"""Real Caddy (the Debian package; scripts/test-deps installs it) with deploy/caddy/Caddyfile
sends its JSON access log over TCP to the collector: stored with the address truncated,
masked in Caddy already, and Caddy writes no file that holds a full address."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import Running, dump_database, free_port
from tests.usage.conftest import listener, stored, usage_dump, usage_rows
from tests.usage.test_nginx import wait_listening

CADDY = shutil.which("caddy") or "/usr/bin/caddy"
CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "caddy" / "Caddyfile"
CLIENT = "127.18.33.57"  # a loopback address of its own: Caddy 2.6 trusts no proxy header
pytestmark = pytest.mark.skipif(
    not Path(CADDY).exists(), reason="needs the Debian caddy package (scripts/test-deps)"
)


def caddyfile(collector_port: int, http_port: int, www: Path, domain: str) -> str:
    text = CADDYFILE.read_text()
    text = text.replace("127.0.0.1:5140", f"127.0.0.1:{collector_port}")
    text = text.replace("/var/www/example.org", str(www))
    # The shipped site block, served over plain HTTP on a free port for the test.
    text = text.replace("www.example.org {", f"http://{domain}:{http_port} {{", 1)
    return "{\n\tadmin off\n}\n" + text


async def get(port: int, host: str, path: str) -> int:
    """A GET from CLIENT's address; the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(CLIENT, 0))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nReferer: https://news.example/a?id=7\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
        "\r\nConnection: close\r\n\r\n".encode()
    )
    answer = await reader.read()
    writer.close()
    return int(answer.split(b" ", 2)[1])


async def test_real_caddy_sends_its_json_log_and_keeps_no_full_address(
    usage_server: Running, tmp_path: Path
) -> None:
    srv = usage_server
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("hello")
    http_port = free_port()
    config = tmp_path / "Caddyfile"
    config.write_text(caddyfile(listener(srv).port, http_port, www, srv.domain))
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *(CADDY, "run", "--config", str(config), "--adapter", "caddyfile"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await asyncio.to_thread(wait_listening, http_port, proc)
        for path, expected in (("/", 200), ("/missing?token=s3cret", 404)):
            assert await get(http_port, f"{srv.domain}:{http_port}", path) == expected
        await listener(srv).wait_received(2)
        await stored(srv, 2)
    finally:
        proc.terminate()
        _, errors = await proc.communicate()
    rows = await usage_rows(srv)
    assert [(r["path"], r["status"], r["ip_prefix"]) for r in rows] == [
        ("/", 200, "127.18.0.0"),
        ("/missing", 404, "127.18.0.0"),
    ]
    assert {r["referrer"] for r in rows} == {"https://news.example/a"}
    written = await asyncio.to_thread(_written_by_caddy, tmp_path)
    written += errors.decode(errors="replace")
    dump = await dump_database(srv.pool)
    ip = ipaddress.ip_address(CLIENT)
    for form in {CLIENT, str(ip)}:
        assert form not in written and form not in dump
    mine = await usage_dump(srv)
    assert "s3cret" not in mine and "id=7" not in mine
    assert re.search(r"127\.18\.0\.0", mine)


def _written_by_caddy(prefix: Path) -> str:
    files = [p for p in prefix.rglob("*") if p.is_file() and p.name != "Caddyfile"]
    return "".join(p.read_text(errors="replace") for p in files)

"""Real nginx (the Debian package; scripts/test-deps installs it) with deploy/nginx/usage.conf
sends its access log to the collector over syslog: every request is stored with the
address truncated, and nginx writes no file that holds a full address."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import Running, dump_database, free_port, request
from tests.usage.conftest import listener, stored, usage_dump, usage_rows

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
USAGE_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "usage.conf"
CLIENTS = ("203.0.113.57", "2001:db8:1:2::3")
pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="needs the Debian nginx package (scripts/test-deps)"
)


def nginx_conf(prefix: Path, collector_port: int, http_port: int, domain: str) -> str:
    snippet = USAGE_CONF.read_text().replace("127.0.0.1:5140", f"127.0.0.1:{collector_port}")
    assert f"127.0.0.1:{collector_port}" in snippet
    temp = " ".join(
        f"{kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As Debian's nginx.conf, with the default access log removed as usage.conf says; the
    # client address comes from X-Forwarded-For (trusted from loopback), so that the test
    # can send as many clients as it likes.
    return f"""
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ }}
http {{
    {temp}
    {snippet}
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    server {{
        listen 127.0.0.1:{http_port};
        server_name {domain};
        root {prefix}/www;
    }}
}}
"""


def wait_listening(port: int, proc: asyncio.subprocess.Process, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.returncode is None, "the web server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("the web server did not start listening")


def forms(address: str) -> set[str]:
    ip = ipaddress.ip_address(address)
    return {address, str(ip), ip.exploded}


async def test_real_nginx_sends_every_request_and_keeps_no_full_address(
    usage_server: Running, tmp_path: Path
) -> None:
    srv = usage_server
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("hello")
    http_port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, listener(srv).port, http_port, srv.domain))
    proc = await asyncio.create_subprocess_exec(
        *(NGINX, "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(conf)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await asyncio.to_thread(wait_listening, http_port, proc)
        base = f"http://127.0.0.1:{http_port}"
        sent = [
            ("/", CLIENTS[0], 200),
            ("/index.html?name=anna", CLIENTS[1], 200),
            ("/missing?token=s3cret", CLIENTS[0], 404),
        ]
        for path, client, expected in sent:
            status, _, _ = await request(
                "GET",
                base + path,
                headers={
                    "Host": srv.domain,
                    "X-Forwarded-For": client,
                    "Referer": "https://news.example/article?id=7",
                },
            )
            assert status == expected
        await listener(srv).wait_received(len(sent))
        await stored(srv, len(sent))
    finally:
        proc.terminate()
        _, errors = await proc.communicate()
    rows = await usage_rows(srv)
    assert [(r["path"], r["status"], r["ip_prefix"]) for r in rows] == [
        ("/", 200, "203.0.0.0"),
        ("/index.html", 200, "2001:db8:1::"),
        ("/missing", 404, "203.0.0.0"),
    ]
    assert [r["bytes"] for r in rows[:2]] == [5, 5]
    assert {r["referrer"] for r in rows} == {"https://news.example/article"}
    assert {(r["browser"], r["os"], r["bot"]) for r in rows} == {("Chrome", "Linux", False)}
    assert listener(srv).metrics.value("usage_lines_refused", "unknown_site") == 0

    # Nothing nginx wrote (error log, pid file, temp files, its stderr) and nothing stored
    # holds an address; nothing stored holds a query string or what was in one.
    written = await asyncio.to_thread(_written_by_nginx, tmp_path)
    written += errors.decode(errors="replace")
    dump = await dump_database(srv.pool)
    for client in CLIENTS:
        for form in forms(client):
            assert form not in written and form not in dump, form
    mine = await usage_dump(srv)
    assert "s3cret" not in mine and "anna" not in mine and "id=7" not in mine


def _written_by_nginx(prefix: Path) -> str:
    files = [p for p in prefix.rglob("*") if p.is_file() and p.name != "nginx.conf"]
    assert any(p.name == "error.log" for p in files)
    return "".join(p.read_text(errors="replace") for p in files)

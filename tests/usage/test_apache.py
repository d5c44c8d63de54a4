"""Real Apache (the Debian package; scripts/test-deps installs it) with deploy/apache/usage.conf
pipes its access log through util-linux `logger` over TCP to the collector: stored with the
address truncated, and Apache writes no file that holds a full address."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Running, dump_database, free_port
from tests.usage.conftest import listener, stored, usage_dump, usage_rows
from tests.usage.test_caddy import CLIENT, get
from tests.usage.test_nginx import wait_listening

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
USAGE_CONF = Path(__file__).resolve().parents[2] / "deploy" / "apache" / "usage.conf"
pytestmark = pytest.mark.skipif(
    not APACHE.exists(), reason="needs the Debian apache2 package (scripts/test-deps)"
)


@pytest.fixture
def root() -> Iterator[Path]:
    """A server root Apache's worker user may read (pytest's tmp_path is 0700)."""
    with tempfile.TemporaryDirectory(prefix="collector-apache-") as tmp:
        os.chmod(tmp, 0o755)
        yield Path(tmp)


def apache_conf(root: Path, collector_port: int, http_port: int, domain: str) -> str:
    usage = USAGE_CONF.read_text().replace("--port 5140", f"--port {collector_port}")
    assert f"--port {collector_port}" in usage
    modules = "\n".join(
        f"LoadModule {name}_module {MODULES}/mod_{name}.so"
        for name in ("mpm_event", "authz_core", "dir", "mime")
    )
    return f"""
ServerRoot {root}
PidFile {root}/httpd.pid
Mutex file:{root}
{modules}
User nobody
Group nogroup
Listen 127.0.0.1:{http_port}
ServerName {domain}
DocumentRoot {root}/www
ErrorLog {root}/error.log
TypesConfig /etc/mime.types
<Directory {root}/www>
    Require all granted
</Directory>
{usage}
"""


async def test_real_apache_pipes_its_log_to_the_collector_and_keeps_no_full_address(
    usage_server: Running, root: Path
) -> None:
    srv = usage_server
    (root / "www").mkdir(mode=0o755)
    (root / "www" / "index.html").write_text("hello")
    (root / "www" / "index.html").chmod(0o644)
    http_port = free_port()
    conf = root / "httpd.conf"
    conf.write_text(apache_conf(root, listener(srv).port, http_port, srv.domain))
    proc = await asyncio.create_subprocess_exec(
        *(str(APACHE), "-f", str(conf), "-DFOREGROUND"),
        env={"PATH": "/usr/bin:/bin", "APACHE_RUN_DIR": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await asyncio.to_thread(wait_listening, http_port, proc)
        for path, expected in (("/", 200), ("/missing?token=s3cret", 404)):
            assert await get(http_port, srv.domain, path) == expected
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
    assert rows[0]["bytes"] > 5  # %O: the bytes sent, headers included
    assert {(r["referrer"], r["browser"]) for r in rows} == {("https://news.example/a", "Firefox")}
    written = await asyncio.to_thread(_written_by_apache, root)
    written += errors.decode(errors="replace")
    assert CLIENT not in written and CLIENT not in await dump_database(srv.pool)
    mine = await usage_dump(srv)
    assert "s3cret" not in mine and "id=7" not in mine


def _written_by_apache(root: Path) -> str:
    files = [p for p in root.rglob("*") if p.is_file() and p.name != "httpd.conf"]
    assert any(p.name == "error.log" for p in files)
    return "".join(p.read_text(errors="replace") for p in files if p.suffix != ".html")

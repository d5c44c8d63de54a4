"""`collector usage import`: files, gzip, stdin; each line counted once however often it is
imported; a summary of what happened to every line; a progress bar on a terminal only."""

from __future__ import annotations

import asyncio
import gzip
import os
import pty
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from collector.config import Settings
from collector.sites import add_site, list_sites
from collector.storage.codecs import register
from collector.storage.db import migrate
from collector.tracking.params import Site
from collector.usage.importer import BATCH, FINGERPRINT_LINES, FileSummary, Importer
from collector.usage.intake import Intake
from collector.usage.request import COLUMNS
from tests.usage.conftest import access_line

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def log_lines(n: int, first: int = 0, host: str | None = None) -> list[str]:
    """`n` lines a second apart, numbered paths, a few statuses and addresses."""
    return [
        access_line(
            f"198.51.{i % 7}.{i % 250 + 1}",
            f"/p{i}",
            (200, 404, 301, 500)[i % 4],
            when=START + timedelta(seconds=i),
            host=host,
        )
        for i in range(first, first + n)
    ]


def write(path: Path, lines: list[str], *, gz: bool = False) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url, server_settings={"timezone": "UTC"})
    await migrate(connection)
    await register(connection)
    yield connection
    await connection.close()


@pytest.fixture
async def site(conn: asyncpg.Connection) -> Site:
    site_id = await add_site(conn, "Import", [f"import-{secrets.token_hex(4)}.example"])
    return next(s for s in await list_sites(conn) if s.site_id == site_id)


async def imported(
    conn: asyncpg.Connection, site: Site, *paths: Path | str, fmt: str = "combined"
) -> list[FileSummary]:
    importer = Importer(conn, Settings(), site, fmt, lambda: datetime.now(UTC))
    return await importer.import_files([str(p) for p in paths])


async def count(conn: asyncpg.Connection, site: Site) -> int:
    n: int = await conn.fetchval(
        "SELECT count(*) FROM usage_requests WHERE site_id = $1", site.site_id
    )
    return n


async def test_importing_a_file_twice_counts_its_lines_once(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    log = write(tmp_path / "access.log", log_lines(150))
    [first] = await imported(conn, site, log)
    assert (first.lines, first.stored, first.already) == (150, 150, 0)
    [again] = await imported(conn, site, log)
    assert (again.lines, again.stored, again.already) == (150, 0, 150)
    assert await count(conn, site) == 150


async def test_the_same_file_rotated_and_compressed_is_recognised(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    lines = log_lines(150)
    await imported(conn, site, write(tmp_path / "access.log", lines))
    [rotated] = await imported(conn, site, write(tmp_path / "access.log.1.gz", lines, gz=True))
    assert (rotated.stored, rotated.already) == (0, 150)
    assert await count(conn, site) == 150


@pytest.mark.parametrize("before", [10, FINGERPRINT_LINES + 30])
async def test_a_file_that_has_grown_gives_only_its_new_lines(
    conn: asyncpg.Connection, site: Site, tmp_path: Path, before: int
) -> None:
    # Also when the first import saw fewer lines than the fingerprint takes.
    log = tmp_path / "access.log"
    await imported(conn, site, write(log, log_lines(before)))
    [grown] = await imported(conn, site, write(log, log_lines(before + 200)))
    assert (grown.stored, grown.already) == (200, before)
    [same] = await imported(conn, site, log)
    assert (same.stored, same.already) == (0, before + 200)
    assert await count(conn, site) == before + 200


async def test_another_file_and_another_site_are_not_taken_for_one_already_imported(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    lines = log_lines(150)
    await imported(conn, site, write(tmp_path / "a.log", lines))
    [other] = await imported(conn, site, write(tmp_path / "b.log", log_lines(150, first=150)))
    assert other.stored == 150
    second_id = await add_site(conn, "Second", [f"second-{secrets.token_hex(4)}.example"])
    second = next(s for s in await list_sites(conn) if s.site_id == second_id)
    [again] = await imported(conn, second, tmp_path / "a.log")
    assert again.stored == 150


async def test_the_summary_counts_every_line_by_what_happened_to_it(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    lines = [
        *log_lines(5),
        "garbage",
        access_line(status=999),
        access_line(when=now - timedelta(days=8)),
        access_line(when=now - timedelta(days=7)),  # within the hour before expiry: too
        access_line(when=now + timedelta(hours=1)),
        "",
    ]
    [summary] = await imported(conn, site, write(tmp_path / "mixed.log", lines))
    assert (summary.lines, summary.stored, summary.expired) == (11, 5, 2)
    assert summary.refused == {"unparsable": 2, "bad_status": 1, "future": 1}
    assert summary.describe().startswith(
        f"{tmp_path}/mixed.log: 11 lines read, 5 stored, 4 refused (unparsable 2, bad_status 1, "
        "future 1), 2 outside retention, 0 already imported ("
    )


async def test_the_import_stores_each_row_as_the_intake_makes_it_whatever_it_holds(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    # The import writes COPY's text format itself (intake.take_lines); the listener's rows
    # go through asyncpg's binary encoding. Both must store the same row: escapes that
    # unescape to a tab, line feed, carriage return or backslash, NULLs, IPv6, a bot.
    when = START + timedelta(hours=1)
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    lines = [
        access_line("2001:db8:1:2:3:4:5:6", r"/a\x09b\x0a\x0dc", when=when),
        access_line(
            "198.51.100.7", r"/back\\slash", referrer=r"https://r.example/\x09t", when=when
        ),
        access_line("198.51.100.8", r"/\\N", referrer=r"\\N", agent="-", when=when),
        access_line("198.51.100.9", "/bot", agent="Googlebot/2.1 (+http://www.google.com/bot)"),
        f'192.0.2.1 - - [{stamp}] "GET /common HTTP/1.0" 304 -',
        access_line("::ffff:192.0.2.77", "/v4-mapped?q=1", when=when, size=0),
    ]
    log = write(tmp_path / "odd.log", lines)
    [summary] = await imported(conn, site, log)
    intake = Intake(Settings(), lambda: datetime.now(UTC), fmt="combined", site=site)
    expected = sorted(intake.take(line) for line in lines)  # type: ignore[type-var]
    assert summary.stored == len(lines) and all(type(r) is tuple for r in expected)
    stored = await conn.fetch(
        f"SELECT {', '.join(COLUMNS)} FROM usage_requests WHERE site_id = $1", site.site_id
    )
    assert sorted(tuple(r) for r in stored) == expected
    assert {"/a\tb\n\rc", "/back\\slash", "/\\N"} <= {r[3] for r in expected}  # type: ignore[index]


async def test_apache_vhost_lines_of_other_hosts_are_refused(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    mine = log_lines(3, host=f"www.{site.domains[0]}")
    theirs = log_lines(2, first=3, host="elsewhere.example")
    [summary] = await imported(
        conn, site, write(tmp_path / "other_vhosts_access.log", mine + theirs), fmt="apache"
    )
    assert (summary.stored, summary.refused) == (3, {"other_host": 2})


async def test_an_import_cut_short_resumes_where_its_last_batch_committed(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    # A batch commits after BATCH rows and before the first row of a new hour: 25,000 lines
    # a second apart make batches of hours, and the file is cut in the last of them.
    total = BATCH + 5000
    whole = gzip.compress("".join(f"{line}\n" for line in log_lines(total)).encode())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) * 9 // 10])  # gzip ends early: an EOFError
    [stopped] = await imported(conn, site, cut)
    assert stopped.error and 0 < stopped.stored == stopped.lines < total * 9 // 10
    assert await count(conn, site) == stopped.stored  # the batch cut short rolled back
    (tmp_path / "whole.log.gz").write_bytes(whole)
    [rest] = await imported(conn, site, tmp_path / "whole.log.gz")
    assert (rest.already, rest.stored, rest.error) == (stopped.lines, total - stopped.lines, None)
    assert await count(conn, site) == total


async def test_two_imports_of_one_file_at_once_still_count_it_once(
    database_url: str, conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    log = write(tmp_path / "access.log", log_lines(500))
    other = await asyncpg.connect(database_url, server_settings={"timezone": "UTC"})
    try:
        await register(other)
        results = await asyncio.gather(imported(conn, site, log), imported(other, site, log))
    finally:
        await other.close()
    assert sorted(r[0].stored for r in results) == [0, 500]
    assert await count(conn, site) == 500


def cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "collector", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }


def test_the_command_reads_stdin_and_gzip_and_prints_a_summary_per_file(
    env: dict[str, str], tmp_path: Path, site: Site
) -> None:
    gz = write(tmp_path / "old.log.gz", log_lines(20), gz=True)
    stdin = "".join(f"{line}\n" for line in log_lines(30, first=20)).encode()
    done = cli("usage", "import", str(gz), "-", "--site", str(site.site_id), env=env, stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode().splitlines()
    assert out[0].startswith(f"{gz}: 20 lines read, 20 stored, 0 refused")
    assert out[1].startswith("-: 30 lines read, 30 stored, 0 refused")
    assert out[2].startswith("total: 50 lines read, 50 stored")
    assert b"\r" not in done.stderr  # no terminal: no progress bar


def test_the_command_refuses_an_unknown_site_and_a_missing_file(
    env: dict[str, str], tmp_path: Path, site: Site
) -> None:
    missing = cli("usage", "import", str(tmp_path / "nope.log"), "--site", "1", env=env)
    assert missing.returncode == 2 and b"cannot read" in missing.stderr
    log = write(tmp_path / "a.log", log_lines(1))
    unknown = cli("usage", "import", str(log), "--site", "999999", env=env)
    assert unknown.returncode == 2 and b"unknown site 999999" in unknown.stderr


def test_a_progress_bar_is_drawn_when_stderr_is_a_terminal(
    env: dict[str, str], tmp_path: Path, site: Site
) -> None:
    log = write(tmp_path / "big.log", log_lines(70_000))  # 6 MB: the bar redraws every MiB
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "collector", "usage", "import", str(log), "--site",
             str(site.site_id)],
            env=env, stdout=subprocess.PIPE, stderr=terminal, timeout=120, check=False,
        )  # fmt: skip
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    assert b"\rbig.log  [" in drawn and b"lines/s" in drawn
    assert re.search(rb"\rbig\.log  \[#*-+\] +[0-9]+%  [0-9,]+ lines", drawn)  # part-way
    assert b"100%  70,000 lines" in drawn
    assert b"70,000 lines read, 70,000 stored" in done.stdout


async def test_a_byte_order_mark_and_windows_line_ends_do_not_spoil_lines(
    conn: asyncpg.Connection, site: Site, tmp_path: Path
) -> None:
    log = tmp_path / "windows.log"
    log.write_bytes(b"\xef\xbb\xbf" + "".join(f"{x}\r\n" for x in log_lines(3)).encode())
    [summary] = await imported(conn, site, log)
    assert (summary.lines, summary.stored, summary.refused) == (3, 3, {})

"""`collector usage import FILE… --site ID [--format …]`: access-log files into usage rows.

Files may be gzip-compressed (found by their first bytes, whatever the name) or `-` for
stdin. Each line goes through the same intake as the syslog listener (intake.py): the
address is truncated while the line is parsed, and the line is gone after.

**Importing twice does not count twice.** A file is known by a fingerprint of its first
lines as the importer reduces them (migration 010, `usage_imports`: time to the second, the
/8 or /32 prefix, path without query, status, bytes; a refused line by its reason), never
by anything that held a full address. With it the importer keeps how many lines of the
file are done, and skips those next time: the same file again, the same file compressed
by logrotate, or the file grown since (its first lines are the same) are each counted
once. Each batch of rows commits together with that line count, so an import that is
stopped half-way resumes where it stopped. Two imports for one site wait for each other.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import itertools
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

import asyncpg

from collector.config import Settings
from collector.storage.partitions import ensure_partition
from collector.tracking.anonymise import anonymise_ip
from collector.tracking.params import Site
from collector.usage.formats import Fields
from collector.usage.intake import Intake, Taken
from collector.usage.progress import Progress
from collector.usage.request import COLUMNS, MAX_LINE, Refusal
from collector.usage.writer import TABLE

FINGERPRINT_LINES = 100
BATCH = 20_000  # rows per COPY (and per commit of the line count)
_READ = 1 << 20
_LOCK_CLASS = 0x75736167  # "usag": one import per site at a time

_FIND = "SELECT fingerprint, fingerprint_lines, lines FROM usage_imports WHERE site_id = $1"
_RECORD = """
INSERT INTO usage_imports AS i (site_id, fingerprint, fingerprint_lines, lines, newest)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (site_id, fingerprint) DO UPDATE SET
    lines = greatest(i.lines, excluded.lines), newest = greatest(i.newest, excluded.newest),
    imported_at = now()
"""
_EXTEND = """
UPDATE usage_imports SET fingerprint = $3, fingerprint_lines = $4
WHERE site_id = $1 AND fingerprint = $2
"""


@dataclass
class FileSummary:
    name: str
    lines: int = 0  # read
    stored: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by reason
    expired: int = 0  # outside retention
    already: int = 0  # imported before: skipped
    seconds: float = 0.0
    error: str | None = None  # the file could not be read to its end (what was read counts)

    def add(self, other: FileSummary) -> None:
        self.lines += other.lines
        self.stored += other.stored
        self.refused.update(other.refused)
        self.expired += other.expired
        self.already += other.already
        self.seconds += other.seconds

    def describe(self) -> str:
        refused = sum(self.refused.values())
        reasons = ", ".join(f"{r} {n:,}" for r, n in self.refused.most_common())
        rate = f", {self.lines / self.seconds:,.0f} lines/s" if self.seconds > 0 else ""
        text = (
            f"{self.name}: {self.lines:,} lines read, {self.stored:,} stored, "
            f"{refused:,} refused{f' ({reasons})' if reasons else ''}, "
            f"{self.expired:,} outside retention, {self.already:,} already imported "
            f"({self.seconds:.1f} s{rate})"
        )
        return f"{text}; stopped: {self.error}" if self.error else text


@contextlib.contextmanager
def open_log(name: str) -> Iterator[tuple[BinaryIO, BinaryIO, int | None]]:
    """(stream of the file's bytes, gunzipped when it is gzip; the raw stream, to tell how
    far it is read; its size when known)."""
    raw: io.BufferedReader
    if name == "-":
        raw = sys.stdin.buffer  # type: ignore[assignment]
        size = None
    else:
        raw = open(name, "rb")  # noqa: SIM115 (closed below)
        size = os.fstat(raw.fileno()).st_size
    try:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield unzipped, raw, size  # type: ignore[misc]
        else:
            yield raw, raw, size
    finally:
        if name != "-":
            raw.close()


def read_lines(stream: BinaryIO, too_long: Callable[[], None]) -> Iterator[list[str]]:
    """The stream's lines, a chunk at a time, decoded as UTF-8 (bytes that are not: U+FFFD).
    A line over MAX_LINE is skipped and reported, so that a file without line feeds cannot
    make us hold it whole."""
    carry = b""
    skipping = False
    first = stream.read(_READ).removeprefix(b"\xef\xbb\xbf")  # a byte order mark
    for chunk in itertools.chain([first], iter(lambda: stream.read(_READ), b"")):
        if not chunk:
            break
        end = chunk.rfind(b"\n")
        if end < 0:
            carry += chunk
            if len(carry) > MAX_LINE:
                if not skipping:
                    too_long()
                skipping, carry = True, b""
            continue
        text = (carry + chunk[: end + 1]).decode("utf-8", "replace")
        carry = chunk[end + 1 :]
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        lines.pop()  # after the last line feed
        if skipping:
            lines.pop(0)  # the end of the line being skipped
            skipping = False
        yield lines
    if carry and not skipping:
        yield [carry.decode("utf-8", "replace")]


def fingerprint_entry(fields: Fields | Refusal) -> bytes:
    """What one line adds to a file's fingerprint: only what a usage row holds anyway."""
    if isinstance(fields, Refusal):
        return f"!{fields.value}\n".encode()
    _, prefix, ts, target, status, size, _, _ = fields
    coarse = anonymise_ip(prefix, 3) if prefix else "-"
    path = target.partition("?")[0]
    return f"{int(ts.timestamp())}|{coarse}|{path}|{status}|{size}\n".encode("utf-8", "replace")


class Importer:
    """Imports files for one site, on one connection (the caller's)."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        settings: Settings,
        site: Site,
        fmt: str,
        clock: Callable[[], datetime],
        progress: Progress | None = None,
    ) -> None:
        self._conn = conn
        self._site = site
        self._intake = Intake(settings, clock, fmt=fmt, site=site)
        self._progress = progress or Progress(enabled=False)
        self._hours: set[datetime] = set()

    async def import_files(self, names: list[str]) -> list[FileSummary]:
        conn = self._conn
        await conn.execute("SELECT pg_advisory_lock($1, $2)", _LOCK_CLASS, self._site.site_id)
        try:
            return [await self.import_file(name) for name in names]
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_CLASS, self._site.site_id)

    async def import_file(self, name: str) -> FileSummary:
        summary = FileSummary(name)
        started = time.monotonic()
        try:
            with open_log(name) as (stream, raw, size):
                chunks = read_lines(stream, lambda: summary.refused.update(("too_long",)))
                head, first = self._head(chunks)
                fingerprint, skip = await self._known(head)
                run = _Run(self, summary, fingerprint, skip, first, chunks)
                run.progress = lambda: self._progress.update(
                    name, raw.tell() if size else 0, size, run.done, time.monotonic() - started
                )
                await run.store_all()
        except (OSError, EOFError) as exc:  # unreadable, or a gzip file cut short
            summary.error = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        summary.seconds = time.monotonic() - started
        self._progress.finish()
        return summary

    def _head(self, chunks: Iterator[list[str]]) -> tuple[list[Fields | Refusal], list[str]]:
        """The first FINGERPRINT_LINES lines parsed, and the lines read so far."""
        first: list[str] = []
        for lines in chunks:
            first += lines
            if len(first) >= FINGERPRINT_LINES:
                break
        return [self._intake.parse(line) for line in first[:FINGERPRINT_LINES]], first

    async def _known(self, head: list[Fields | Refusal]) -> tuple[tuple[bytes, int], int]:
        """(this file's fingerprint and the lines it covers, how many lines are done)."""
        rows = await self._conn.fetch(_FIND, self._site.site_id)
        wanted = {r["fingerprint_lines"] for r in rows} | {len(head)}
        digests: dict[int, bytes] = {}
        h = hashlib.sha256()
        for n, fields in enumerate(head, 1):
            h.update(fingerprint_entry(fields))
            if n in wanted:
                digests[n] = h.digest()
        ours = (digests.get(len(head), b""), len(head))
        matches = [r for r in rows if digests.get(r["fingerprint_lines"]) == r["fingerprint"]]
        if not matches:
            return ours, 0
        best = max(matches, key=lambda r: r["fingerprint_lines"])
        if best["fingerprint_lines"] < len(head):  # the file has grown: know it by more lines
            await self._conn.execute(_EXTEND, self._site.site_id, best["fingerprint"], *ours)
        return ours, best["lines"]

    async def ensure_hour(self, hour: datetime) -> None:
        if hour not in self._hours:
            await ensure_partition(self._conn, hour, TABLE)
            self._hours.add(hour)


class _Run:
    """One file's pass, a chunk of lines (what one read of the file gives) at a time. The
    chunks are parsed inside the async iterator COPY reads from, so PostgreSQL stores one
    while the next is parsed. A batch ends after BATCH rows, or before a chunk with a row
    in an hour that has no partition yet (the partition is made between two COPYs); it
    commits with the count of lines done, and only then is it added to the summary."""

    def __init__(
        self,
        importer: Importer,
        summary: FileSummary,
        fingerprint: tuple[bytes, int],
        skip: int,
        first: list[str],
        chunks: Iterator[list[str]],
    ) -> None:
        self._importer = importer
        self._summary = summary
        self._fingerprint = fingerprint
        self._skip = skip
        self._chunks = itertools.chain([first], chunks)
        self.done = 0  # lines read (and skipped, refused or stored)
        self.progress: Callable[[], None] = lambda: None
        self._held: tuple[int, Taken] | None = None  # lines and rows waiting for partitions
        self._batch = FileSummary(summary.name)  # what the batch in flight adds
        self._newest: datetime | None = None
        self._end = False

    async def store_all(self) -> None:
        while not self._end:
            if self._held is not None:
                for hour in sorted(self._held[1].hours):
                    await self._importer.ensure_hour(hour)
            await self._store()

    async def _store(self) -> None:
        importer, batch = self._importer, self._batch
        conn = importer._conn
        async with conn.transaction():
            await conn.copy_to_table(TABLE, source=self._data(), columns=COLUMNS)
            done = self.done - (self._held[0] if self._held is not None else 0)
            batch.lines = done - self._summary.lines
            if self._fingerprint[1]:
                site = importer._site.site_id
                await conn.execute(_RECORD, site, *self._fingerprint, done, self._newest)
        self._summary.add(batch)
        self._batch = FileSummary(self._summary.name)
        importer._intake.window()

    async def _data(self) -> AsyncIterator[bytes]:
        """The next batch's rows as COPY text, a chunk at a time."""
        batch, hours = self._batch, self._importer._hours
        if (held := self._held) is not None:
            self._held = None
            yield self._add(held[1])
        for lines in self._chunks:
            self.done += len(lines)
            if self._skip:  # imported before
                skipped = min(self._skip, len(lines))
                self._skip -= skipped
                batch.already += skipped
                lines = lines[skipped:]
            taken = Taken()
            self._importer._intake.take_lines(lines, taken)
            self.progress()
            if not taken.hours <= hours:
                self._held = (len(lines), taken)
                return
            yield self._add(taken)
            if batch.stored >= BATCH:
                return
        self._end = True

    def _add(self, taken: Taken) -> bytes:
        batch = self._batch
        batch.stored += len(taken.rows)
        batch.expired += taken.expired
        batch.refused.update(taken.refused)
        if taken.newest is not None and (self._newest is None or taken.newest > self._newest):
            self._newest = taken.newest
        return "".join(taken.rows).encode()

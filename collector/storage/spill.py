"""The spill file: where accepted hits wait on local disk while the database is away.

Append-only, one orjson array per line (a `Hit.record()`: already anonymised, never a full
IP), fsync'd after every append; the writer appends in batches, at most about once per spill
interval. Each process appends to its own file, `hits-<ns>-<random>.spill`, held under an
exclusive `flock` while the process lives. A file nobody holds is an orphan of a process that
stopped (SIGTERM) or died during an outage; the next writer to start claims and replays it.

A journal segment (storage/journal.py, `COLLECTOR_DURABILITY=fsync`) is the same kind of
file with the suffix `.journal`, written before a hit is answered; the writer advances its
offset in `spill_replay` with each COPY, so an orphan segment is replayed from there.

Replay is exactly once: how many bytes of a file are replayed is stored in `spill_replay`
(migration 005) in the same transaction as the COPY of the hits it covers, so an interrupted
replay resumes after the last committed batch and never writes a hit twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import orjson

from collector.tracking.hit import COLUMNS

log = logging.getLogger(__name__)

Record = tuple[object, ...]
SUFFIX = ".spill"
JOURNAL_SUFFIX = ".journal"
_TS = COLUMNS.index("ts")
_SESSION = COLUMNS.index("session_id")
# A line written before fields were appended to Hit (a spill file left by the version before
# an upgrade) is shorter: the missing fields are the new ones, None. Fewer than the columns
# every version had is not a hit record.
_FIRST_COLUMNS = COLUMNS.index("ip_prefix") + 1
_CHUNK = 1 << 20


def encode_record(record: Record) -> bytes:
    """One line: datetimes as RFC 3339 (orjson's default)."""
    return orjson.dumps(record) + b"\n"


def decode_record(line: bytes) -> Record:
    """The inverse of `encode_record`; ValueError for a line that is not one."""
    values = orjson.loads(line)
    if not isinstance(values, list) or not _FIRST_COLUMNS <= len(values) <= len(COLUMNS):
        raise ValueError("not a hit record")
    values += [None] * (len(COLUMNS) - len(values))
    try:
        values[_TS] = datetime.fromisoformat(values[_TS])
        values[_SESSION] = uuid.UUID(values[_SESSION]).hex  # checked, as the hit path has it
    except (TypeError, AttributeError):  # a damaged line that is still JSON: 5 as session id
        raise ValueError("not a hit record") from None
    return tuple(values)


class SpillFile:
    """One spill file, held under an exclusive lock by this process."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self.size = os.fstat(fd).st_size

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, directory: Path, suffix: str = SUFFIX) -> SpillFile:
        directory.mkdir(parents=True, exist_ok=True)
        # Names sort by creation time, whatever the suffix: orphans are replayed oldest first.
        path = directory / f"hits-{time.time_ns():020d}-{secrets.token_hex(4)}{suffix}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _fsync_dir(directory)
        return cls(path, fd)

    @classmethod
    def claim(cls, path: Path) -> SpillFile | None:
        """The file, locked for us; None when a live process holds it (or it is gone)."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if not path.exists():  # replayed and removed by its holder between open and lock
            os.close(fd)
            return None
        return cls(path, fd)

    def append(self, lines: Iterable[bytes], *, data_only: bool = False) -> int:
        """Write and fsync; bytes written. On failure (disk full) nothing is left half-written.
        `data_only`: fdatasync, which skips the timestamps but still makes the size durable."""
        data = memoryview(b"".join(lines))
        try:
            while data:
                data = data[os.write(self._fd, data) :]
            (os.fdatasync if data_only else os.fsync)(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise
        written = os.fstat(self._fd).st_size - self.size
        self.size += written
        return written

    def read(self, offset: int, limit: int) -> list[tuple[Record | None, int]]:
        """Up to `limit` complete lines from `offset`: (record, or None if corrupt; end offset).

        A last line without its newline (a write cut short by kill -9) is never returned, so
        an empty list means the file is replayed to its end."""
        out: list[tuple[Record | None, int]] = []
        position, pending, chunk = offset, b"", _CHUNK
        while len(out) < limit and position + len(pending) < self.size:
            data = pending + os.pread(self._fd, chunk, position + len(pending))
            lines = data.split(b"\n")
            pending = lines.pop()
            for line in lines:
                position += len(line) + 1
                out.append((_decode_or_none(line, self.name, position), position))
                if len(out) >= limit:
                    return out
            chunk = min(chunk * 2, 64 * _CHUNK) if not lines else _CHUNK
        return out

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        _fsync_dir(self.path.parent)
        self.close()

    def close(self) -> None:
        """Release the lock: the file becomes an orphan the next start replays."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def orphans(directory: Path) -> list[Path]:
    """Spill files and journal segments, oldest first."""
    if not directory.is_dir():
        return []
    return sorted([*directory.glob(f"hits-*{SUFFIX}"), *directory.glob(f"hits-*{JOURNAL_SUFFIX}")])


def _decode_or_none(line: bytes, name: str, end: int) -> Record | None:
    try:
        return decode_record(line)
    except ValueError:  # a damaged line: skipped and logged, the rest is still replayed
        log.error("spill=corrupt_line file=%s end=%d", name, end)
        return None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

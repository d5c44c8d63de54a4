"""The journal (`COLLECTOR_DURABILITY=fsync`): a hit is on local disk before it is answered.

Group commit: requests hand their (already anonymised) records to `write` and wait; one task
collects what arrives within about a millisecond, or while the previous write is still
syncing, and appends it all with one write and one fdatasync in a thread of its own, off the
event loop. Only then are the records handed to the writer's queue (`on_durable`, in journal
order) and the requests answered; a failed write (disk full) answers them with the error.

The file is a spill file (storage/spill.py) with the suffix `.journal`, locked by this process,
so a segment left by a crash is an orphan the next start replays. The writer advances each
segment's offset in `spill_replay` in the transaction of the COPY that stores its hits, so
that replay starts after what is already in the database: exactly once, as for spill files.
A segment past `segment_bytes` is closed and a new one begun; the writer removes a closed
segment once all of it is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate, repeat
from pathlib import Path
from typing import TypeVar

from collector.storage.spill import JOURNAL_SUFFIX, Record, SpillFile, encode_record

log = logging.getLogger(__name__)

SEGMENT_BYTES = 16 * 1024 * 1024  # about 40 000 hits: rotated every few seconds at full load
WINDOW = 0.001  # how long the first hit of a group waits for others to join it

_T = TypeVar("_T")
# records, the segment they are in, each record's end offset in it
Durable = Callable[[list[Record], SpillFile, list[int]], None]


class Journal:
    def __init__(
        self,
        directory: Path,
        on_durable: Durable,
        *,
        line: Callable[[Record], bytes] = encode_record,
        segment_bytes: int = SEGMENT_BYTES,
        window: float = WINDOW,
    ) -> None:
        self._dir = directory
        self._on_durable = on_durable
        self._line = line
        self._segment_bytes = segment_bytes
        self._window = window
        self._pending: list[tuple[list[Record], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one append or rotation at a time
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="journal")
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.current: SpillFile | None = None  # the segment appended to

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journal")

    async def write(self, records: list[Record]) -> None:
        """Return once `records` are on disk and in the writer's queue; OSError if the disk
        refused them (then they are in neither)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((records, future))
        self._wake.set()
        await future

    async def rotate(self) -> SpillFile | None:
        """Begin a new segment now; the one closed (None if there was none). In an outage the
        writer hands the closed segments to replay and frees the memory their hits took."""
        async with self._lock:
            old = self.current
            if old is None or old.size == 0:  # no hit is in it: nothing to close
                return None
            await self._in_thread(self._new_segment)
            return old

    async def close(self) -> None:
        """Write what is pending, then stop. The segments stay for the writer to remove."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        self._thread.shutdown()

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                if self._window and not self._closing:
                    await asyncio.sleep(self._window)
            group, self._pending = self._pending, []
            if group:
                await self._commit(group)

    async def _commit(self, group: list[tuple[list[Record], asyncio.Future[None]]]) -> None:
        records = [r for recs, _ in group for r in recs]
        async with self._lock:
            try:
                segment, ends = await self._in_thread(self._append, records)
                self._on_durable(records, segment, ends)
            except Exception as exc:  # disk full, I/O error: those requests are answered 503
                log.error("journal=write_failed error=%s", _reason(exc))
                for _, future in group:
                    if not future.done():
                        future.set_exception(OSError(_reason(exc)))
                return
        for _, future in group:
            if not future.done():  # a request cancelled meanwhile is stored, not answered
                future.set_result(None)

    async def _in_thread(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    # -- in the journal's thread ---------------------------------------------------------

    def _append(self, records: list[Record]) -> tuple[SpillFile, list[int]]:
        if self.current is None or self.current.size >= self._segment_bytes:
            self._new_segment()
        segment = self.current
        assert segment is not None
        lines = [self._line(r) for r in records]
        start = segment.size
        segment.append(lines, data_only=True)
        return segment, list(accumulate(map(len, lines), initial=start))[1:]

    def _new_segment(self) -> None:
        self.current = SpillFile.create(self._dir, JOURNAL_SUFFIX)
        log.info("journal=segment file=%s", self.current.name)


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or type(exc).__name__


class Marks:
    """Where each hit in the writer's queue ends in its journal segment, in queue order, and
    the segments those hits are in (oldest first): what a COPY of the queue's first hits
    advances in `spill_replay`."""

    def __init__(self) -> None:
        self._ends: deque[tuple[SpillFile, int]] = deque()
        self.segments: list[SpillFile] = []

    def add(self, segment: SpillFile, ends: list[int]) -> None:
        if not self.segments or self.segments[-1] is not segment:
            self.segments.append(segment)
        self._ends.extend(zip(repeat(segment), ends, strict=False))

    def advances(self, n: int, committed: dict[str, int]) -> list[tuple[SpillFile, int, int]]:
        """(segment, committed offset, offset after the first n hits) per segment they span."""
        last: dict[SpillFile, int] = {}
        for i in range(n):
            segment, end = self._ends[i]
            last[segment] = end
        return [(s, committed.get(s.name, 0), end) for s, end in last.items()]

    def pop(self, n: int) -> None:
        for _ in range(n):
            self._ends.popleft()

    def committed_head(self, committed: dict[str, int]) -> int:
        """How many of the first hits are within their segment's committed offset."""
        n = 0
        for segment, end in self._ends:
            if end > committed.get(segment.name, 0):
                break
            n += 1
        return n

    def release(self, segments: list[SpillFile]) -> int:
        """Forget `segments` (closed, handed to replay) and the hits in them, which are the
        first ones; how many hits that was."""
        gone = set(segments)
        n = 0
        while self._ends and self._ends[0][0] in gone:
            self._ends.popleft()
            n += 1
        self.segments = [s for s in self.segments if s not in gone]
        return n

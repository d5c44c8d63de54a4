"""The write path: a bounded in-memory queue, drained by one task in batched COPYs.

The request path only calls `offer()`, which never waits: it either takes the hits or says
the queue is full (the endpoint then answers 503). Hits leave the queue only after their
batch is committed, so the bound counts what is in flight too, and a failed batch is retried
(with backoff) rather than lost.

While the database is unreachable, the queue is appended to the spill file (storage/spill.py)
at least once per spill interval, and at once when it holds a batch: in an outage, memory is
only a short stop on the way to disk. When the database is back, spill files are replayed
first (they hold the older hits), then the queue. When the spill file reaches its cap the
queue fills and the endpoint answers 503: nothing accepted is dropped.

With `COLLECTOR_DURABILITY=fsync` each hit is in the journal (storage/journal.py) before it
is answered and before it enters the queue; each COPY from the queue advances the journal's
offset in the same transaction, so after a crash the journal is replayed from there, like a
spill file. In an outage nothing needs spilling: the journal segment is closed and handed to
replay, which frees the memory its hits took.

The handler accepts only what a text column can hold, so PostgreSQL should never refuse a
row; if it does, the batch is halved until the row is found (a few COPYs, not one per row),
and that row is stored with its text made storable (`storable`), not dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import asyncpg

from collector.metrics import Metrics
from collector.storage.journal import Journal, Marks
from collector.storage.partitions import ensure_partition, hour_of
from collector.storage.spill import Record, SpillFile, encode_record, orphans
from collector.tracking.hit import COLUMNS, Hit, to_record

log = logging.getLogger(__name__)

_TS = COLUMNS.index("ts")
_HOUR = timedelta(hours=1)
_CONNECT_TIMEOUT = 5.0  # a black-holed database host must not stall the writer for minutes
_MAX_BACKOFF = 5.0
_CATCH_UP = 20  # largest COPY, in batches, while the writer is behind
_TRANSIENT = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.QueryCanceledError,  # WRITE_TIMEOUT (storage/db.py): nothing was written; retry
    # A connection the server dropped (shutting down) while asyncpg was still reading its
    # error, found when the pool resets it: the database going away, not a refused row.
    asyncpg.InternalClientError,
)


# A row refused, not the database away: by PostgreSQL (a NUL in text), or by asyncpg's
# encoder before anything is sent (UnicodeEncodeError for a lone surrogate, OverflowError
# for an integer out of range), which are not asyncpg errors at all.
_REFUSED = (asyncpg.PostgresError, ValueError, TypeError, ArithmeticError)
_Row = TypeVar("_Row")


def _is_refusal(exc: Exception) -> bool:
    return isinstance(exc, _REFUSED) and not isinstance(exc, _TRANSIENT)


def storable(record: Record) -> Record:
    """The row with its text made storable: NUL removed, lone surrogates (what UTF-8 cannot
    encode) replaced by "?". The last resort for a row refused anyway."""
    return tuple(_storable_text(v) if isinstance(v, str) else v for v in record)


def _storable_text(text: str) -> str:
    text = text.replace("\0", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _spill_line(record: Record) -> bytes:
    try:
        return encode_record(record)
    except TypeError:  # orjson refuses a lone surrogate, as PostgreSQL would
        return encode_record(storable(record))


class ReplayConflict(Exception):
    """The replay offset moved under us (a commit whose answer we lost): re-read it."""


class HitWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        metrics: Metrics,
        *,
        capacity: int,
        batch_size: int,
        flush_interval: float,
        spill_dir: Path | None = None,
        spill_max_bytes: int = 0,
        spill_interval: float = 1.0,
        storable_from: Callable[[], datetime] | None = None,
        journal: bool = False,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._capacity = capacity
        self._batch_size = batch_size
        self._interval = flush_interval
        self._dir = spill_dir  # where orphans are claimed from, whatever the settings now
        self._spill_dir = spill_dir if spill_max_bytes > 0 else None
        self._spill_max = spill_max_bytes
        self._spill_interval = spill_interval
        self._queue: deque[Record] = deque()
        self._offered = 0
        self._done = 0  # own hits stored (directly or by replay), or given up on as unstorable
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._hours: set[datetime] = set()
        # Hits older than this are past retention (their hour is dropped): not written.
        self._storable_from = storable_from
        self._backlog: list[SpillFile] = []  # to replay, oldest first; own file last
        self._own: SpillFile | None = None
        self._replayed: dict[str, int] = {}  # offsets as last committed, per file
        # fsync mode only: the journal, where the queue's hits are in it, hits being written
        # to it, and its segments handed to replay (their replayed hits are our own)
        self.journal: Journal | None = None
        if journal:
            assert spill_dir is not None, "the journal lives beside the spill files"
            self.journal = Journal(spill_dir, self._journaled, line=_spill_line)
        self._marks = Marks()
        self._journaling = 0
        self._released: set[SpillFile] = set()
        self.outage = False  # the last attempt to write failed: the database is away
        metrics.gauge("queue_depth", lambda: len(self._queue), "hits waiting to be written")
        metrics.gauge("spill_bytes", lambda: self.spill_bytes, "bytes in spill files to replay")

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def spill_bytes(self) -> int:
        return sum(f.size - self._replayed.get(f.name, 0) for f in self._backlog)

    def has_room(self, n: int) -> bool:
        """Whether `offer` of n hits would be taken now: asked before parsing a request, so
        that under overload the CPU goes to writing, not to hits that will be refused."""
        return not self._closing and len(self._queue) + self._journaling + n <= self._capacity

    def offer(self, hits: Sequence[Hit]) -> bool:
        """Take all of `hits` or none; False when that would pass the queue's bound."""
        n = len(hits)
        if not self.has_room(n):
            return False
        self._queue.extend(map(to_record, hits))
        self._offered += n
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    async def offer_durably(self, hits: Sequence[Hit]) -> bool:
        """`offer` in fsync mode: True once all of `hits` are in the journal on disk (and in
        the queue), False when the queue is full; OSError when the disk refused them."""
        assert self.journal is not None
        n = len(hits)
        if not self.has_room(n):
            return False
        self._journaling += n
        try:
            await self.journal.write(list(map(to_record, hits)))
        finally:
            self._journaling -= n
        return True

    def _journaled(self, records: list[Record], segment: SpillFile, ends: list[int]) -> None:
        """The journal's `on_durable`: called in journal order, so the queue keeps it."""
        self._queue.extend(records)
        self._marks.add(segment, ends)
        self._offered += len(records)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._dir is not None:
            for path in orphans(self._dir):
                if (spill := SpillFile.claim(path)) is not None:
                    log.info("spill=claimed file=%s bytes=%d", spill.name, spill.size)
                    self._backlog.append(spill)
        if self.journal is not None:
            self.journal.start()
        self._task = asyncio.create_task(self._run(), name="hit-writer")

    async def flush(self) -> None:
        """Return once every hit offered before this call is written to the database."""
        target = self._offered
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def drained(self) -> None:
        """Return once the queue is empty: every hit is in the database or a spill file."""
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: not self._queue)

    async def close(self) -> None:
        """Stop taking hits; write what is held (to the spill file in an outage); stop."""
        self._closing = True
        if self.journal is not None:
            await self.journal.close()  # what it holds goes into the queue first
        self._wake.set()
        if self._task is not None:
            await self._task

    # -- the writer task ---------------------------------------------------------------

    async def _run(self) -> None:
        delay, next_try = 0.0, 0.0
        loop = asyncio.get_running_loop()
        while not self._closing:
            if self.outage:
                await self._spill_queue()
                await self._pause(min(max(next_try - loop.time(), 0), self._spill_interval))
                if loop.time() < next_try:
                    continue
            elif self._backlog and len(self._queue) >= self._capacity // 2:
                await self._spill_queue()  # replay is behind: keep the order, free memory
            if not self.outage and not self._backlog and len(self._queue) < self._batch_size:
                await self._pause(self._interval)
            if self._closing:
                break
            try:
                await self._step()
            except (*_TRANSIENT, ReplayConflict) as exc:
                self._metrics.count("write_retries")
                if not self.outage:
                    log.warning("database=unreachable error=%s", type(exc).__name__)
                self.outage = True
                delay = min(max(delay * 2, 0.1), _MAX_BACKOFF)
                next_try = loop.time() + delay
            else:
                if self.outage:
                    log.info("database=reachable spill_bytes=%d", self.spill_bytes)
                self.outage, delay = False, 0.0
        await self._finish()

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        else:
            await asyncio.sleep(0)
        self._wake.clear()

    async def _step(self) -> None:
        if self._backlog:
            await self._replay_batch(self._backlog[0])
        elif self._queue:
            await self._write_batch()

    def _next_batch_size(self) -> int:
        """`batch_size`, or up to `_CATCH_UP` times that when the queue is deeper than two
        batches: under a burst every COPY's round trips wait behind request handling, so
        fewer, larger COPYs keep up; at ordinary load small COPYs keep latency low."""
        queued = len(self._queue)
        if queued <= 2 * self._batch_size:
            return min(queued, self._batch_size)
        return min(queued, _CATCH_UP * self._batch_size)

    async def _write_batch(self) -> None:
        batch = [self._queue[i] for i in range(self._next_batch_size())]
        await self._bisect(batch, self._write_queued, self._write_refused)
        self._metrics.count("batches_written")

    async def _write_queued(self, rows: Sequence[Record]) -> None:
        """COPY the first rows of the queue, then take them off it: a transient error after
        some halves of a batch are in must not write those again."""
        stored = await self._copy(list(rows), len(rows))
        self._metrics.count("hits_stored", amount=stored)
        await self._done_with(len(rows))

    async def _write_refused(self, row: Record, exc: Exception) -> None:
        log.error("write=row_refused error=%s", type(exc).__name__)  # never the values
        try:
            await self._write_queued([storable(row)])
        except Exception as again:
            if not _is_refusal(again):
                raise
            self._metrics.count("hits_unstorable")
            log.error("write=row_dropped error=%s", type(again).__name__)
            if self.journal is not None:
                await self._copy([], 1)  # past it in the journal: not replayed after a crash
            await self._done_with(1)
        else:
            log.warning("write=row_cleaned")

    async def _done_with(self, n: int) -> None:
        for _ in range(n):
            self._queue.popleft()
        self._marks.pop(n if self.journal is not None else 0)
        await self._mark_done(n)

    async def _bisect(
        self,
        rows: Sequence[_Row],
        write: Callable[[Sequence[_Row]], Awaitable[None]],
        refused: Callable[[_Row, Exception], Awaitable[None]],
    ) -> None:
        """`write(rows)`; when a row is refused, each half again, in order, down to the row,
        which goes to `refused`. One bad row in n costs about 2 log2(n) COPYs: row by row it
        cost n, and one such hit per 100 made the writer 25 times slower."""
        try:
            await write(rows)
        except Exception as exc:
            if not _is_refusal(exc):
                raise
            if len(rows) == 1:
                await refused(rows[0], exc)
                return
            half = len(rows) // 2
            await self._bisect(rows[:half], write, refused)
            await self._bisect(rows[half:], write, refused)

    async def _finish(self) -> None:
        """Shutdown: write the queue if the database is there, else spill it for the next
        start. Beyond the spill cap here: losing accepted hits would be worse."""
        while self._queue and not self.outage and not self._backlog:
            try:
                await self._write_batch()
            except _TRANSIENT as exc:
                log.warning("database=unreachable at=shutdown error=%s", type(exc).__name__)
                self.outage = True
        if self.journal is not None:
            await self._close_journal()
        elif self._queue:
            await self._spill_queue(cap=False)
        if self._queue:
            self._metrics.count("hits_lost", amount=len(self._queue))
            log.error("writer=closed hits_lost=%d (spill failed)", len(self._queue))
        for spill in self._backlog:
            spill.close()  # unlocked: the next start replays what is left

    # -- database ------------------------------------------------------------------------

    async def _copy(self, batch: list[Record], queued: int = 0) -> int:
        """COPY what of `batch` is not past retention; how many rows that was. In fsync mode
        the journal's offsets move past the first `queued` hits of the queue with it."""
        kept = self._unexpired(batch)
        advances = self._marks.advances(queued, self._replayed) if self.journal else []
        stored = False
        try:
            if kept or advances:
                async with self._pool.acquire(timeout=_CONNECT_TIMEOUT) as conn:
                    if kept:
                        await self._ensure_partitions(conn, kept)
                    if advances:
                        await self._copy_journaled(conn, kept, advances)
                    else:
                        await conn.copy_records_to_table("hits", records=kept, columns=COLUMNS)
                    stored = True
        except _TRANSIENT as exc:
            if not stored:
                raise
            # Stored; only handing the connection back failed: writing these again would
            # store them twice.
            log.warning("write=release_failed error=%s", type(exc).__name__)
        self._count_expired(len(batch) - len(kept))  # once written: a retried half is not
        return len(kept)

    async def _ensure_partitions(self, conn: asyncpg.Connection, batch: list[Record]) -> None:
        # A batch's hits are nearly all of one hour: two comparisons a record, and hour_of
        # (an astimezone and a replace, 2% of a hit's CPU as a set comprehension) only where
        # a record leaves the last one's hour.
        hours: set[datetime] = set()
        start = end = None
        for record in batch:
            ts: datetime = record[_TS]  # type: ignore[assignment]
            if start is None or not start <= ts < end:  # type: ignore[operator]
                start = hour_of(ts)
                end = start + _HOUR
                hours.add(start)
        for hour in hours - self._hours:
            await ensure_partition(conn, hour)
            self._hours.add(hour)

    def _unexpired(self, batch: list[Record]) -> list[Record]:
        """The records whose hour is still kept. A hit older than retention (one that waited
        in a spill file through a long outage) is not stored: its raw data would already be
        gone, and re-creating a dropped hour would break the promise (P4)."""
        if self._storable_from is None:
            return batch
        oldest = self._storable_from()
        return [r for r in batch if r[_TS] >= oldest]  # type: ignore[operator]

    def _count_expired(self, n: int) -> None:
        if n:
            self._metrics.count("hits_expired", amount=n)
            log.warning("write=expired hits=%d (older than retention)", n)

    async def _mark_done(self, n: int) -> None:
        async with self._progress:
            self._done += n
            self._progress.notify_all()

    # -- spill and replay ----------------------------------------------------------------

    async def _spill_queue(self, *, cap: bool = True) -> None:
        """Move the queue (oldest first) to this process's spill file, up to the cap."""
        if self.journal is not None:
            await self._release_queue()
            return
        if self._spill_dir is None or not self._queue:
            return
        room = self._spill_max - sum(f.size for f in self._backlog) if cap else 1 << 62
        lines: list[bytes] = []
        size = 0
        for record in self._queue:
            line = _spill_line(record)
            if size + len(line) > room:
                break
            lines.append(line)
            size += len(line)
        if not lines:
            self._metrics.count("spill_full")
            return
        try:
            if self._own is None:
                self._own = SpillFile.create(self._spill_dir)
                self._backlog.append(self._own)
            await asyncio.to_thread(self._own.append, lines)
        except OSError as exc:  # disk full, read-only: the hits stay in memory
            self._metrics.count("spill_errors")
            log.error("spill=failed error=%s", exc.strerror or type(exc).__name__)
            return
        for _ in lines:
            self._queue.popleft()
        self._metrics.count("hits_spilled", amount=len(lines))
        await self._mark_done(0)  # wakes `drained()`

    async def _replay_batch(self, spill: SpillFile) -> None:
        """One batch of `spill` into `hits`, and its offset, in one transaction."""
        async with self._pool.acquire(timeout=_CONNECT_TIMEOUT) as conn:
            start = self._replayed.get(spill.name)
            if start is None:
                start = await conn.fetchval(
                    "SELECT replayed_bytes FROM spill_replay WHERE spill_name = $1", spill.name
                )
                start = self._replayed[spill.name] = start or 0
            lines = await asyncio.to_thread(spill.read, start, self._batch_size)
            if not lines:
                await self._replayed_all(conn, spill, start)
                return
            records = [r for r, _ in lines if r is not None]
            await self._ensure_partitions(conn, self._unexpired(records))
            try:
                await self._bisect(
                    lines,
                    partial(self._replay_lines, conn, spill),
                    partial(self._replay_refused, conn, spill),
                )
            except ReplayConflict:
                self._replayed.pop(spill.name, None)
                raise
        self._metrics.count("batches_written")
        self._metrics.count("hits_replayed", amount=len(records))

    async def _commit_replay(
        self, conn: asyncpg.Connection, name: str, records: list[Record], start: int, end: int
    ) -> None:
        async with conn.transaction():
            if records:
                await conn.copy_records_to_table("hits", records=records, columns=COLUMNS)
            if not await conn.fetchval("SELECT spill_advance($1, $2, $3)", name, start, end):
                raise ReplayConflict(name)

    async def _replay_lines(
        self, conn: asyncpg.Connection, spill: SpillFile, lines: Sequence[tuple[Record | None, int]]
    ) -> None:
        """The next lines of a spill file into `hits`, and the offset after them."""
        end = lines[-1][1]
        records = [r for r, _ in lines if r is not None]
        kept = self._unexpired(records)
        await self._commit_replay(conn, spill.name, kept, self._replayed[spill.name], end)
        self._count_expired(len(records) - len(kept))
        self._replayed[spill.name] = end
        if spill is self._own or spill in self._released:
            await self._mark_done(len(lines))

    async def _replay_refused(
        self,
        conn: asyncpg.Connection,
        spill: SpillFile,
        line: tuple[Record | None, int],
        exc: Exception,
    ) -> None:
        record, end = line
        assert record is not None  # a line without a record has no row to refuse
        log.error("replay=row_refused error=%s", type(exc).__name__)
        try:
            await self._replay_lines(conn, spill, [(storable(record), end)])
        except Exception as again:
            if not _is_refusal(again):
                raise
            self._metrics.count("hits_unstorable")
            log.error("replay=row_dropped error=%s", type(again).__name__)
            await self._replay_lines(conn, spill, [(None, end)])

    async def _replayed_all(self, conn: asyncpg.Connection, spill: SpillFile, end: int) -> None:
        # File first, then its row: a crash between leaves a harmless row, never a file
        # whose progress is forgotten (that would replay it twice).
        if end < spill.size:
            log.error("spill=torn_tail file=%s bytes=%d", spill.name, spill.size - end)
        await asyncio.to_thread(spill.remove)
        await conn.execute("DELETE FROM spill_replay WHERE spill_name = $1", spill.name)
        self._backlog.remove(spill)
        self._replayed.pop(spill.name, None)
        if spill is self._own:
            self._own = None
        self._released.discard(spill)
        log.info("spill=replayed file=%s", spill.name)

    # -- the journal (fsync mode) --------------------------------------------------------

    async def _copy_journaled(
        self,
        conn: asyncpg.Connection,
        records: list[Record],
        advances: list[tuple[SpillFile, int, int]],
    ) -> None:
        """COPY `records` and move the journal offsets past them, in one transaction: a crash
        after it replays the journal from there, so no hit is stored twice."""
        try:
            async with conn.transaction():
                if records:
                    await conn.copy_records_to_table("hits", records=records, columns=COLUMNS)
                for segment, start, end in advances:
                    if not await conn.fetchval(
                        "SELECT spill_advance($1, $2, $3)", segment.name, start, end
                    ):
                        raise ReplayConflict(segment.name)
        except ReplayConflict:
            await self._resync(conn)
            raise
        for segment, _, end in advances:
            self._replayed[segment.name] = end
        # Committed: an error now must not make the caller write these hits again. A segment
        # not removed now is removed after the next COPY.
        with contextlib.suppress(*_TRANSIENT):
            await self._drop_committed(conn)

    async def _resync(self, conn: asyncpg.Connection) -> None:
        """An offset was ahead of ours: a commit whose answer was lost. Its hits are stored;
        take them off the queue rather than write them again."""
        for segment in self._marks.segments:
            self._replayed[segment.name] = (
                await conn.fetchval(
                    "SELECT replayed_bytes FROM spill_replay WHERE spill_name = $1", segment.name
                )
                or 0
            )
        if n := self._marks.committed_head(self._replayed):
            log.warning("journal=resynced hits=%d (stored by a commit whose answer was lost)", n)
            self._metrics.count("hits_stored", amount=n)
            await self._done_with(n)

    async def _drop_committed(self, conn: asyncpg.Connection) -> None:
        """Remove closed segments whose every hit is stored: the journal stays small. File
        first, then its row, as for spill files."""
        assert self.journal is not None
        for segment in [
            s
            for s in self._marks.segments
            if s is not self.journal.current and self._replayed.get(s.name, 0) >= s.size
        ]:
            await asyncio.to_thread(segment.remove)
            await conn.execute("DELETE FROM spill_replay WHERE spill_name = $1", segment.name)
            self._marks.segments.remove(segment)
            self._replayed.pop(segment.name, None)

    async def _release_queue(self) -> None:
        """The database is away (or replay is behind) and the queue is half full: its hits are
        in the journal already. Close the segment, hand the closed ones to replay, and take
        their hits off the queue, while the journal's unstored bytes are under the spill cap
        (beyond it the queue fills and the endpoint answers 503)."""
        assert self.journal is not None
        if self._closing or len(self._queue) < max(self._capacity // 2, 1):
            return
        held = sum(s.size - self._replayed.get(s.name, 0) for s in self._marks.segments)
        if self.spill_bytes + held > self._spill_max:
            self._metrics.count("spill_full")
            return
        try:
            await self.journal.rotate()
        except OSError as exc:
            self._metrics.count("spill_errors")
            log.error("journal=rotate_failed error=%s", exc.strerror or type(exc).__name__)
            return
        closed = [s for s in self._marks.segments if s is not self.journal.current]
        n = self._marks.release(closed)
        for _ in range(n):
            self._queue.popleft()
        self._backlog.extend(closed)
        self._released.update(closed)
        self._metrics.count("hits_spilled", amount=n)
        await self._mark_done(0)  # wakes `drained()`

    async def _close_journal(self) -> None:
        """Shutdown: remove the segments whose hits are all stored; the others stay for the
        next start, which replays them from their offsets."""
        assert self.journal is not None
        segments = [*self._marks.segments]
        if self.journal.current is not None and self.journal.current not in segments:
            segments.append(self.journal.current)  # begun, nothing in it yet
        stored = [s for s in segments if self._replayed.get(s.name, 0) >= s.size]
        for segment in segments:
            if segment in stored:
                await asyncio.to_thread(segment.remove)
            else:
                segment.close()
        if stored and not self.outage:
            with contextlib.suppress(*_TRANSIENT):
                async with self._pool.acquire(timeout=_CONNECT_TIMEOUT) as conn:
                    await conn.execute(
                        "DELETE FROM spill_replay WHERE spill_name = ANY($1)",
                        [s.name for s in stored],
                    )
        if self._queue:
            log.info("journal=kept hits=%d (replayed on the next start)", len(self._queue))
        self._queue.clear()

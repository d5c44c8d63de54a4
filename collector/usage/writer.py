"""Usage rows from the syslog listener: a bounded in-memory queue, drained by one task in
batched COPYs into `usage_requests`, as the hit writer does (storage/writer.py) but without
a spill file: a web server's TCP log stream can be made to wait, a visitor's hit cannot.

`offer()` never waits. When the queue is full it says so: the UDP listener then drops the
line (counted, `usage_lines_dropped{reason="queue_full"}`), the TCP listener stops reading
its connection until `when_room` calls back, so the sender slows down and nothing is lost.
A row the database refuses (it should not: the intake strips NUL, and decoding replaces what
is not UTF-8) is found by halving the batch, stored cleaned, or dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg

from collector.metrics import Metrics
from collector.storage.partitions import ensure_partition, hour_of

# The hit writer's rule for what is a refused row (anything else is a retry).
from collector.storage.writer import _is_refusal, storable
from collector.usage.request import COLUMNS, UsageRow

log = logging.getLogger(__name__)

TABLE = "usage_requests"
_CONNECT_TIMEOUT = 5.0
_MAX_BACKOFF = 5.0
_CATCH_UP = 20  # largest COPY, in batches, while the writer is behind
_SHUTDOWN_GRACE = 5.0  # at shutdown, how long to keep trying a database that is away


class UsageWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        metrics: Metrics,
        *,
        capacity: int,
        batch_size: int,
        flush_interval: float,
        storable_from: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._capacity = capacity
        self._batch_size = batch_size
        self._interval = flush_interval
        self._storable_from = storable_from  # rows older than this are not written (P4)
        self._queue: deque[UsageRow] = deque()
        self._offered = 0
        self._done = 0
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._progress = asyncio.Condition()
        self._waiting: list[Callable[[], None]] = []
        self._hours: set[datetime] = set()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.outage = False

    @property
    def depth(self) -> int:
        return len(self._queue)

    def has_room(self) -> bool:
        return not self._closing and len(self._queue) < self._capacity

    def offer(self, row: UsageRow) -> bool:
        if not self.has_room():
            return False
        self._queue.append(row)
        self._offered += 1
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def when_room(self, callback: Callable[[], None]) -> None:
        """Call `callback` once, as soon as the queue has room again."""
        self._waiting.append(callback)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="usage-writer")

    async def flush(self) -> None:
        """Return once every row offered before this call is written (or given up on)."""
        target = self._offered
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def close(self) -> None:
        """Stop taking rows; write what is held; stop."""
        self._closing = True
        self._closed.set()
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        delay = 0.0
        while not self._closing:
            if delay:  # backing off: rows offered meanwhile do not make it try sooner
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), delay)
            elif len(self._queue) < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()
            if self._closing:
                break
            if not self._queue:
                continue
            try:
                await self._write_batch()
            except Exception as exc:  # the database away, or a connection left unusable
                self._metrics.count("usage_write_retries")
                if not self.outage:
                    log.warning("usage=database_unreachable error=%s", type(exc).__name__)
                self.outage = True
                delay = min(max(delay * 2, 0.1), _MAX_BACKOFF)
            else:
                if self.outage:
                    log.info("usage=database_reachable")
                self.outage, delay = False, 0.0
        await self._finish()

    async def _finish(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _SHUTDOWN_GRACE
        while self._queue and loop.time() < deadline:
            try:
                await self._write_batch()
            except Exception:
                await asyncio.sleep(0.2)
        if self._queue:
            self._metrics.count("usage_lines_lost", amount=len(self._queue))
            log.error("usage_writer=closed lost=%d (database unreachable)", len(self._queue))
            await self._taken(len(self._queue))

    def _next_batch_size(self) -> int:
        queued = len(self._queue)
        if queued <= 2 * self._batch_size:
            return min(queued, self._batch_size)
        return min(queued, _CATCH_UP * self._batch_size)

    async def _write_batch(self) -> None:
        batch = [self._queue[i] for i in range(self._next_batch_size())]
        await self._bisect(batch)
        self._metrics.count("usage_batches_written")

    async def _bisect(self, rows: Sequence[UsageRow]) -> None:
        """COPY `rows`; when one is refused, each half again, down to the row."""
        try:
            await self._copy_queued(rows)
        except Exception as exc:
            if not _is_refusal(exc):
                raise
            if len(rows) > 1:
                half = len(rows) // 2
                await self._bisect(rows[:half])
                await self._bisect(rows[half:])
                return
            log.error("usage_write=row_refused error=%s", type(exc).__name__)  # never values
            try:
                await self._copy_queued([storable(rows[0])])  # type: ignore[list-item]
            except Exception as again:
                if not _is_refusal(again):
                    raise
                self._metrics.count("usage_lines_unstorable")
                await self._taken(1)

    async def _copy_queued(self, rows: Sequence[UsageRow]) -> None:
        """COPY the first rows of the queue, then take them off it."""
        oldest = self._storable_from()
        kept = [r for r in rows if r[1] >= oldest]  # r[1]: ts
        if kept:
            async with self._pool.acquire(timeout=_CONNECT_TIMEOUT) as conn:
                for hour in {hour_of(r[1]) for r in kept} - self._hours:
                    await ensure_partition(conn, hour, TABLE)
                    self._hours.add(hour)
                await conn.copy_records_to_table(TABLE, records=kept, columns=COLUMNS)
        if len(kept) < len(rows):
            self._metrics.count("usage_lines_refused", "expired", len(rows) - len(kept))
        self._metrics.count("usage_requests_stored", amount=len(kept))
        await self._taken(len(rows))

    async def _taken(self, n: int) -> None:
        for _ in range(n):
            self._queue.popleft()
        async with self._progress:
            self._done += n
            self._progress.notify_all()
        if self._waiting and self.has_room():
            waiting, self._waiting = self._waiting, []
            for callback in waiting:
                callback()

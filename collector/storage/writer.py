"""The write path: a bounded in-memory queue, drained by one task in batched COPYs.

The request path only calls `offer()`, which never waits: it either takes the hits or says
the queue is full (the endpoint then answers 503). Hits leave the queue only after their
batch is committed, so the bound counts what is in flight too, and a failed batch is retried
(with backoff) rather than lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from datetime import date

import asyncpg

from collector.metrics import Metrics
from collector.storage.partitions import ensure_partition
from collector.tracking.hit import COLUMNS, Hit

log = logging.getLogger(__name__)

_TS = COLUMNS.index("ts")
_TRANSIENT = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)
Record = tuple[object, ...]


class HitWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        metrics: Metrics,
        *,
        capacity: int,
        batch_size: int,
        flush_interval: float,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._capacity = capacity
        self._batch_size = batch_size
        self._interval = flush_interval
        self._queue: deque[Record] = deque()
        self._offered = 0
        self._done = 0  # stored, or given up on as unstorable (logged and counted)
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._days: set[date] = set()
        metrics.gauge("queue_depth", lambda: len(self._queue), "hits waiting to be written")

    @property
    def depth(self) -> int:
        return len(self._queue)

    def offer(self, hits: Sequence[Hit]) -> bool:
        """Take all of `hits` or none; False when that would pass the queue's bound."""
        if self._closing or len(self._queue) + len(hits) > self._capacity:
            return False
        self._queue.extend(h.record() for h in hits)
        self._offered += len(hits)
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hit-writer")

    async def flush(self) -> None:
        """Return once every hit offered before this call is written."""
        target = self._offered
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def close(self) -> None:
        """Stop taking hits, write everything queued, stop the task."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while self._queue or not self._closing:
            if len(self._queue) < self._batch_size and not self._closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()
            if not self._queue:
                continue
            batch = [self._queue[i] for i in range(min(self._batch_size, len(self._queue)))]
            await self._write_until_done(batch)
            for _ in batch:
                self._queue.popleft()
            async with self._progress:
                self._done += len(batch)
                self._progress.notify_all()

    async def _write_until_done(self, batch: list[Record]) -> None:
        delay = 0.1
        while True:
            try:
                await self._copy(batch)
                self._metrics.count("batches_written")
                self._metrics.count("hits_stored", amount=len(batch))
                return
            except _TRANSIENT as exc:
                self._metrics.count("write_retries")
                log.warning("write=retry error=%s delay=%.1fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except asyncpg.PostgresError as exc:
                # Not the database being away: some row is refused. Keep every row that can
                # be stored; count and log (without values) any that cannot.
                log.error("write=row_refused error=%s", type(exc).__name__)
                await self._copy_row_by_row(batch)
                return

    async def _copy(self, batch: list[Record]) -> None:
        async with self._pool.acquire() as conn:
            for day in {r[_TS].date() for r in batch} - self._days:  # type: ignore[attr-defined]
                await ensure_partition(conn, day)
                self._days.add(day)
            await conn.copy_records_to_table("hits", records=batch, columns=COLUMNS)

    async def _copy_row_by_row(self, batch: list[Record]) -> None:
        for row in batch:
            try:
                await self._copy([row])
                self._metrics.count("hits_stored")
            except asyncpg.PostgresError as exc:
                self._metrics.count("hits_unstorable")
                log.error("write=row_dropped error=%s", type(exc).__name__)

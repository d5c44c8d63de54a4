"""Running the app: one process, or N processes sharing the port (SO_REUSEPORT)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal

from aiohttp import web

from collector.app import AccessLogger, create_app
from collector.config import Settings

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 10.0


def _loop() -> object:
    try:
        import uvloop
    except ImportError:  # not on this platform: the default loop works, only slower
        return None
    return uvloop.new_event_loop()


def run_one(settings: Settings, host: str, port: int, reuse_port: bool = False) -> None:
    """Serve until SIGTERM/SIGINT; then stop accepting, finish requests, flush, return."""
    web.run_app(
        create_app(settings),
        host=host,
        port=port,
        reuse_port=reuse_port or None,
        access_log_class=AccessLogger,
        access_log=logging.getLogger("aiohttp.access") if settings.access_log else None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        handle_signals=True,
        print=None,
        loop=_loop(),  # type: ignore[arg-type]
    )


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    if workers <= 1:
        run_one(settings, host, port)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=run_one, args=(settings, host, port, True), name=f"worker-{i}")
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    log.info("workers=%d pid=%d", workers, os.getpid())

    def forward(signum: int, _frame: object) -> None:
        for p in procs:  # each worker stops accepting and flushes what it accepted
            if p.pid is not None and p.is_alive():
                os.kill(p.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.join()

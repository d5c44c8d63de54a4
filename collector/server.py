"""Running the app: one process, or N processes sharing the port (SO_REUSEPORT).

The port is bound first, before the database, the app or a single line of output, so a busy
port is one clear error (`PortUnavailable`) instead of a traceback after the start banner.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Sequence

from aiohttp import web

from collector.app import AccessLogger, create_app
from collector.config import Settings
from collector.tracking.predispatch import ready_runner

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 10.0
BACKLOG = 128  # aiohttp's default


class PortUnavailable(Exception):
    """The address cannot be listened on; the message is one line for the person starting it."""


def _loop() -> asyncio.AbstractEventLoop | None:
    try:
        import uvloop
    except ImportError:  # not on this platform: the default loop works, only slower
        return None
    return uvloop.new_event_loop()


def bind(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """Sockets bound to every address of `host` (a name may have an IPv4 and an IPv6 one).

    Without `reuse_port` they listen at once: connections wait in the backlog until the app
    is ready. With it (several workers) they stay unlistened, a reservation of the port for
    this user's workers, each of which listens on a socket of its own.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise PortUnavailable(f"cannot listen on {host!r}: {exc}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            if not reuse_port:
                sock.listen(BACKLOG)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise PortUnavailable(f"port {port} on {host} {why}: choose another with --port") from None
    return sockets


def check_usage_address(host: str, port: int) -> None:
    """PortUnavailable unless UDP and TCP `host:port` can be listened on (the usage syslog
    listener binds them itself, with SO_REUSEPORT, in each worker; this only asks first, so
    that a taken port is one line before anything starts)."""
    try:
        found = socket.getaddrinfo(host, port, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        why = f"COLLECTOR_USAGE_LOG_LISTEN: cannot listen on {host!r}: {exc}"
        raise PortUnavailable(why) from None
    for family, kind, proto, _, address in dict.fromkeys(found):
        if kind not in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            continue
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise PortUnavailable(
                    f"COLLECTOR_USAGE_LOG_LISTEN: port {port} on {host} cannot be used "
                    f"({exc.strerror})"
                ) from None


def run_one(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    reuse_port: bool = False,
    sockets: Sequence[socket.socket] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; then stop accepting, finish requests, flush, return.
    On `sockets` already bound, or else on host:port. What `web.run_app` does, with our own
    runner (the pre-dispatch in front of the app: tracking/predispatch.py)."""
    loop = _loop() or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_serve(settings, host, port, reuse_port, sockets))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):  # SIGTERM/SIGINT (AppRunner's handlers)
        pass
    finally:
        if not main.done():
            main.cancel()  # its `finally` cleans the runner up: stop accepting, flush
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
        rest = asyncio.all_tasks(loop)
        for task in rest:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    reuse_port: bool,
    sockets: Sequence[socket.socket] | None,
) -> None:
    runner = await ready_runner(
        create_app(settings),
        handle_signals=True,
        access_log_class=AccessLogger,
        access_log=logging.getLogger("aiohttp.access") if settings.access_log else None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    try:
        sites: list[web.BaseSite] = (
            [web.SockSite(runner, sock, backlog=BACKLOG) for sock in sockets]
            if sockets
            else [web.TCPSite(runner, host, port, backlog=BACKLOG, reuse_port=reuse_port)]
        )
        for site in sites:
            await site.start()
        await asyncio.Event().wait()  # until SIGTERM/SIGINT
    finally:
        await runner.cleanup()


def run(
    settings: Settings, sockets: list[socket.socket], *, host: str, port: int, workers: int = 1
) -> None:
    """Serve on `sockets` from `bind` (with reuse_port when workers > 1)."""
    if workers <= 1:
        run_one(settings, sockets=sockets)
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
    for sock in sockets:  # the reservation ends with the workers
        sock.close()

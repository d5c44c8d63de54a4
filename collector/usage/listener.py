"""The live intake: syslog over UDP and TCP on COLLECTOR_USAGE_LOG_LISTEN (both, one port).

Each message is taken apart where it arrives, in the protocol callback: syslog header off
(syslog.py), the line parsed and its address truncated (intake.py), the row queued for the
writer. The full address exists only in that callback's local variables; nothing queues,
logs or raises it. A line that cannot be used is counted by reason, never logged.

UDP has no back-pressure: when the writer's queue is full a datagram is dropped and counted;
the kernel drops datagrams too when the socket buffer overflows, which only the kernel
counts (`/proc/net/udp`, "drops"; bench/usage.py reports both). TCP does: a connection whose
rows do not fit stops being read until the writer has room, so the sender waits.

Anyone who can reach the port can add lines (syslog has no authentication): listen on
loopback, or on an interface only the web servers reach.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections import deque
from typing import cast

from collector.metrics import Metrics
from collector.usage.intake import Intake
from collector.usage.request import MAX_LINE, Refusal, UsageRow
from collector.usage.syslog import Framer, parse_syslog
from collector.usage.writer import UsageWriter

log = logging.getLogger(__name__)

UDP_BUFFER = 4 * 1024 * 1024  # asked for; the kernel caps it at net.core.rmem_max
MAX_CONNECTIONS = 256  # TCP senders at once; each holds at most one read and one line


class UsageListener:
    def __init__(
        self, host: str, port: int, intake: Intake, writer: UsageWriter, metrics: Metrics
    ) -> None:
        self.host, self.port = host, port
        self._intake = intake
        self.writer = writer
        self.metrics = metrics
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        # Open connections, and closed ones whose last rows still wait for room.
        self.streams: set[_SyslogStream] = set()
        self.received = 0  # messages taken (what usage_lines_received counts, here)
        self._watchers: list[tuple[int, asyncio.Future[None]]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # reuse_port: with `serve --workers N` every worker listens on the port too.
        self._tcp = await loop.create_server(
            lambda: _SyslogStream(self), self.host, self.port, reuse_port=True
        )
        self.port = self._tcp.sockets[0].getsockname()[1]  # port 0 in tests: the one given
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _SyslogDatagrams(self), local_addr=(self.host, self.port), reuse_port=True
        )
        self._udp = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
        log.info("usage_listener=started udp_tcp=%s:%d", self.host, self.port)
        if not _loopback(self.host):
            log.warning(
                "usage_listener=not_loopback host=%s: anyone who can reach it can add lines; "
                "allow only the web servers (firewall)",
                self.host,
            )

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for stream in list(self.streams):
                stream.close()
            await self._tcp.wait_closed()
        lost = sum(stream.pending for stream in self.streams)  # the writer takes no more
        if lost:
            self.metrics.count("usage_lines_lost", amount=lost)
            log.error("usage_listener=stopped lost=%d (queue full at shutdown)", lost)

    async def wait_received(self, n: int) -> None:
        """Return once `n` messages have been taken (stored, queued or refused)."""
        if self.received < n:
            future = asyncio.get_running_loop().create_future()
            self._watchers.append((n, future))
            await future

    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped on our UDP socket (its buffer was full); 0 where the
        kernel does not say (Linux does, in /proc/net/udp)."""
        sock = self._udp.get_extra_info("socket") if self._udp is not None else None
        return udp_drops(sock.fileno()) if sock is not None else 0

    def take(self, frame: bytes) -> UsageRow | None:
        """One message -> a row to queue, or None (refused: counted). Never raises."""
        self.metrics.count("usage_lines_received")
        self.received += 1
        if self._watchers:
            self._notify()
        try:
            tag, line = parse_syslog(frame.decode("utf-8", "replace").rstrip("\r\n"))
            result = self._intake.take(line, tag)
        except Exception as exc:  # a bug, not the sender's fault: never its text in the log
            log.error("usage_line=failed error=%s", type(exc).__name__)
            result = Refusal.UNPARSABLE
        if isinstance(result, Refusal):
            self.metrics.count("usage_lines_refused", result.value)
            return None
        return result

    def refresh(self) -> None:
        self._intake.window()

    def _notify(self) -> None:
        waiting = []
        for n, future in self._watchers:
            if self.received >= n:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((n, future))
        self._watchers = waiting


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def udp_drops(fd: int) -> int:
    """The "drops" column of /proc/net/udp(6) for the socket `fd`, else 0."""
    try:
        inode = str(os.fstat(fd).st_ino)
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            with open(table) as rows:
                for row in rows:
                    fields = row.split()
                    if len(fields) > 12 and fields[9] == inode:
                        return int(fields[-1])
    except (OSError, ValueError):
        pass
    return 0


class _SyslogDatagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: UsageListener) -> None:
        self._listener = listener

    def datagram_received(self, data: bytes, addr: object) -> None:
        listener = self._listener
        listener.refresh()
        if len(data) > MAX_LINE:
            listener.metrics.count("usage_lines_refused", Refusal.TOO_LONG.value)
            return
        # One message per datagram; a sender may put several lines in one (Caddy does not).
        for frame in data.rstrip(b"\n").split(b"\n"):
            if (row := listener.take(frame)) is not None and not listener.writer.offer(row):
                listener.metrics.count("usage_lines_dropped", "queue_full")

    def error_received(self, exc: Exception) -> None:
        log.warning("usage_udp=error error=%s", type(exc).__name__)


class _SyslogStream(asyncio.Protocol):
    """One TCP sender. Rows that did not fit the writer's queue wait here (at most one
    read's worth) while reading is paused."""

    def __init__(self, listener: UsageListener) -> None:
        self._listener = listener
        self._framer = Framer(MAX_LINE)
        self._pending: deque[UsageRow] = deque()
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)
        if len(self._listener.streams) >= MAX_CONNECTIONS:
            self._transport.abort()
            return
        self._listener.streams.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._drain()  # what was read is written, when there is room

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        listener = self._listener
        listener.refresh()
        frames = self._framer.feed(data)
        if too_long := self._framer.too_long:
            listener.metrics.count("usage_lines_refused", Refusal.TOO_LONG.value, too_long)
            self._framer.too_long = 0
        for frame in frames:
            if (row := listener.take(frame)) is not None:
                self._pending.append(row)
        self._drain()

    def _drain(self) -> None:
        writer = self._listener.writer
        while self._pending and writer.offer(self._pending[0]):
            self._pending.popleft()
        if self._pending:
            if not self._paused:
                self._paused = True
                if not self._closed and self._transport is not None:
                    self._transport.pause_reading()
                writer.when_room(self._resume)
        elif self._closed:
            self._listener.streams.discard(self)

    def _resume(self) -> None:
        self._paused = False
        self._drain()
        if not self._paused and not self._closed and self._transport is not None:
            self._transport.resume_reading()

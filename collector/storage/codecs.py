"""Column codecs set on every connection.

`inet` as plain strings in binary format: asyncpg's own codec builds an `ipaddress` object
per row (about 2.7 µs, half the client cost of a COPY row); ours packs with `inet_pton`.
The addresses are already truncated; they are only carried, never interpreted, here.
"""

from __future__ import annotations

import socket
import struct

import asyncpg

_AF_INET, _AF_INET6 = 2, 3  # PostgreSQL's own family codes (utils/inet.h)


def encode_inet(address: str) -> bytes:
    if ":" in address:
        return struct.pack("BBBB", _AF_INET6, 128, 0, 16) + socket.inet_pton(
            socket.AF_INET6, address
        )
    return struct.pack("BBBB", _AF_INET, 32, 0, 4) + socket.inet_pton(socket.AF_INET, address)


def decode_inet(data: bytes) -> str:
    family, bits, _, size = data[:4]
    kind = socket.AF_INET6 if family == _AF_INET6 else socket.AF_INET
    text = socket.inet_ntop(kind, data[4 : 4 + size])
    full = 128 if family == _AF_INET6 else 32
    return text if bits == full else f"{text}/{bits}"


async def register(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "inet", schema="pg_catalog", encoder=encode_inet, decoder=decode_inet, format="binary"
    )

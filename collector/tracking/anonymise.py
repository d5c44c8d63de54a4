"""IP truncation (promise P2): pure functions, applied before anything else sees an address.

Levels follow Matomo: 1, 2 or 3 bytes of an IPv4 address are zeroed; of an IPv6 address the
first 64, 48 or 24 bits are kept (masks of 64, 80 and 104 bits, as Matomo's IPAnonymizer).
Integer arithmetic on the packed address: the `ipaddress` module costs several microseconds
per call on the hit path.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_V6_KEEP_BYTES = {1: 8, 2: 6, 3: 3}
_V4_ZEROS = {1: ".0", 2: ".0.0", 3: ".0.0.0"}


def anonymise_ip(address: str | None, level: int) -> str | None:
    """The truncated form of `address`, or None when it is not an IP address at all."""
    if not address:
        return None
    if ":" not in address:
        try:
            socket.inet_pton(socket.AF_INET, address)
        except (OSError, ValueError):  # ValueError: lone surrogates (undecodable header bytes), NUL
            return None
        # inet_pton takes the canonical dotted quad only (no leading zeros, no spaces), so
        # the text itself can be cut: half the time of packing it again
        return address.rsplit(".", level)[0] + _V4_ZEROS[level]
    try:
        packed = socket.inet_pton(socket.AF_INET6, address.split("%", 1)[0])
    except (OSError, ValueError):
        return None
    if packed[:12] == b"\0" * 10 + b"\xff\xff":  # IPv4-mapped: mask as the IPv4 it is
        v4 = packed[12:]
        return socket.inet_ntop(socket.AF_INET, v4[: 4 - level] + b"\0" * level)
    keep = _V6_KEEP_BYTES[level]
    return socket.inet_ntop(socket.AF_INET6, packed[:keep] + b"\0" * (16 - keep))


def _in_networks(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str | None, headers: Mapping[str, str], trusted: tuple[Network, ...]
) -> str | None:
    """The client's address: the peer, or what a trusted proxy says in X-Forwarded-For.

    X-Forwarded-For is read right to left, skipping our own trusted proxies; the first
    address not in them is the client. From an untrusted peer the header is ignored, so a
    client cannot choose what we record. The result is full: truncate it at once.
    """
    if not peer or not trusted or not _in_networks(peer, trusted):
        return peer
    forwarded = headers.get("X-Forwarded-For")
    if forwarded is None and (fwd := headers.get("Forwarded")):
        forwarded = ",".join(_forwarded_for(fwd))
    if not forwarded:
        return peer
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _forwarded_for(header: str) -> list[str]:
    """The `for=` values of an RFC 7239 Forwarded header, brackets and ports removed."""
    out = []
    for element in header.split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.lower() != "for":
                continue
            value = value.strip('"')
            if value.startswith("["):
                value = value[1 : value.find("]")]
            elif value.count(":") == 1:
                value = value.split(":", 1)[0]
            out.append(value)
    return out

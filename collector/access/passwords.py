"""Dashboard passwords: Argon2id hashes (argon2-cffi, RFC 9106's recommended parameters).

Hashing costs ~50 ms and 64 MiB by design, so it runs in a worker thread and at most
`PARALLEL` at once (the app's semaphore): a burst of logins can neither stall the event
loop nor take the memory.
A login for an unknown name verifies against a dummy hash, so the time taken does not say
whether the name exists.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PARALLEL = 2
MAX_PASSWORD = 1024  # characters; a longer one is refused before any hashing
MIN_PASSWORD = 8

_hasher = PasswordHasher()  # immutable parameters, no state: safe to share


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"password: at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not anybody's password")


def verify_password(stored: str | None, given: str) -> bool:
    """True when `given` is the password of `stored` (None: no such user, same cost)."""
    if len(given) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(stored or _dummy_hash(), given) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(stored: str | None, given: str, slots: asyncio.Semaphore) -> bool:
    """`verify_password` in a worker thread, holding one of the app's `slots`."""
    async with slots:
        return await asyncio.to_thread(verify_password, stored, given)

"""Random credentials (API tokens, session ids, share tokens, CSRF values) and their digests.

Only digests are stored: a credential is 128 random bits or more, so SHA-256 is enough (no
slow hash needed against guessing), and a request finds its row by the digest alone.
"""

from __future__ import annotations

import hashlib
import secrets

# Matomo's token_auth is 32 hexadecimal characters; some clients check that shape.
API_TOKEN_BYTES = 16
LINK_TOKEN_BYTES = 24  # share links and session ids: URL-safe text, 192 bits


def new_api_token() -> str:
    return secrets.token_hex(API_TOKEN_BYTES)


def new_link_token() -> str:
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def digest(credential: str) -> bytes:
    """SHA-256 of a credential as a request gives it. Undecodable header bytes arrive as
    lone surrogates: "surrogatepass" encodes them instead of raising (no token has them)."""
    return hashlib.sha256(credential.encode("utf-8", "surrogatepass")).digest()

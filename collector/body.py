"""Request bodies: read whole, bounded in size and time, never decompressed; whatever the
client got wrong is a 4xx with a short reason, never a 500.

No client of ours compresses a request body (Matomo's JavaScript tracker, ours, and the
server-side clients all send plain form or JSON bodies), and a compressed body is a cheap
way to make the server inflate a thousand times more than it received: `Content-Encoding`
other than `identity` is refused with 415 before anything is read, and aiohttp's own
decompression is switched off (`create_app`'s handler_args), so that not even a body we never read
is inflated while aiohttp drains it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError


def _refuse(status: int, reason: str) -> web.HTTPException:
    cls = web.HTTPUnsupportedMediaType if status == 415 else web.HTTPBadRequest
    headers = {"Cache-Control": "no-store"}
    if status == 415:
        headers["Accept-Encoding"] = "identity"  # RFC 7694: what we take instead
    return cls(text=reason + "\n", headers=headers)


def _check_encoding(request: web.BaseRequest) -> None:
    coding = request.headers.get("Content-Encoding")
    if coding is not None and coding.strip().lower() not in ("", "identity"):
        raise _refuse(415, "Content-Encoding is not supported: send the body uncompressed")


async def read_body(request: web.BaseRequest, time_limit: float) -> bytes:
    """The whole body. 415 when compressed, 413 over the app's size limit (aiohttp's),
    400 when it cannot be read, 408 when it is not all in within `time_limit` seconds (a slow
    drip, or chunked encoding broken half-way, which aiohttp leaves waiting)."""
    _check_encoding(request)
    try:
        if request.content.is_eof():  # the usual small body came with the head: no timer
            return await request.read()
        async with asyncio.timeout(time_limit):
            return await request.read()
    except RequestPayloadError:
        raise _refuse(400, "request body could not be read") from None
    except TimeoutError:
        raise _too_slow() from None


async def read_form(request: web.BaseRequest, time_limit: float) -> dict[str, str]:
    """The text fields of a form body (urlencoded or multipart; a repeated name keeps its
    last value; file fields are left out). 400 for what aiohttp cannot decode: invalid
    UTF-8, an unknown charset, a multipart body without its boundary or cut short;
    otherwise as `read_body`."""
    _check_encoding(request)
    try:
        async with asyncio.timeout(time_limit):
            form = await request.post()
    except RequestPayloadError:
        raise _refuse(400, "request body could not be read") from None
    except TimeoutError:
        raise _too_slow() from None
    except (ValueError, LookupError):  # UnicodeDecodeError is a ValueError
        raise _refuse(400, "form body could not be decoded") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _too_slow() -> web.HTTPException:
    refusal = web.HTTPRequestTimeout(
        text="request body too slow\n", headers={"Cache-Control": "no-store"}
    )
    refusal.force_close()  # what is left of the body is not worth waiting for
    return refusal

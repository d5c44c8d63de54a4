"""Matomo tracking parameters -> a validated `Hit`, or a `Reject` with a short reason.

Only what is listed here is read. Matomo's persistent visitor ids (`_id`, `uid`, `cid`,
`_idts`, `_idvc`, `_viewts`, `_ref`) are accepted and ignored: they never reach a `Hit`
(promise P3). Limits are in `LIMITS`; the README lists them.
"""

from __future__ import annotations

import functools
import hmac
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_to_bytes

from yarl import query_to_pairs

from collector.retention.horizon import guard
from collector.tracking.hit import Action, Hit

MAX_PARAMS = 100
LIMITS = {"url": 4096, "text": 1024, "short": 255, "query": 16384}
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HIGH_ESCAPE = re.compile(r"%[89A-Fa-f]")
# scheme://[userinfo@]host[:port] then a path, query, fragment or the end. Faster than
# urlsplit() on the hot path, and stricter: only http(s), only a plain host name or IP.
# Case-insensitive by hand: (?i) is ~50% slower, and would let [a-z] match the Kelvin sign.
# Digits as [0-9] throughout: in a str pattern \d also matches Arabic-Indic and other digits.
_HTTP_URL = re.compile(
    r"[hH][tT][tT][pP][sS]?://(?:[^@/?#\s]*@)?"
    r"([a-zA-Z0-9.\-_]+|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?(?:[/?#]|$)"
)
_RES = re.compile(r"^[0-9]{1,5}x[0-9]{1,5}$")
# A number as JavaScript writes one: sign, ASCII digits, a decimal point, an exponent. Not
# what float() also takes: "1_000", " 1", "nan", "inf", or digits of other scripts.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNIX_TIME = re.compile(r"[0-9]{9,10}(?:\.[0-9]+)?")
_MAX_SITE_DIGITS = 9
_PV_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_TARGET_PARAMS = {Action.DOWNLOAD: "download", Action.OUTLINK: "link"}
_OLD_CDT = timedelta(hours=4)  # as Matomo: older timestamps need token_auth
_FUTURE_SLACK = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Reject:
    """Bad input: answered with `status` and `reason`, never stored."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Site:
    site_id: int
    name: str
    domains: tuple[str, ...]
    timezone: str = "UTC"  # IANA name: days and hours of its reports are local ones
    _subdomain_suffixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: owns() runs for every hit, and str.endswith takes a tuple in C.
        object.__setattr__(self, "_subdomain_suffixes", tuple("." + d for d in self.domains))

    def owns(self, host: str) -> bool:
        return host in self.domains or host.endswith(self._subdomain_suffixes)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a microsecond per hit
class HitContext:
    """What the request adds to its parameters; the IP is already truncated."""

    session_id: str
    new_session: bool
    ip_prefix: str | None
    user_agent: str
    accept_language: str | None
    now: datetime
    country: str | None = None  # from the truncated address (geo.py), once per request
    region: str | None = None
    ua_mobile: str | None = None  # client hints: Sec-CH-UA-Mobile, Sec-CH-UA-Platform
    ua_platform: str | None = None


def parse_query(query: str) -> dict[str, str] | Reject:
    """A query string or form body as a dict (last value wins, as in PHP); strict where
    decoders are lenient: bad percent-escapes, invalid UTF-8 and NUL bytes are refused.
    Decoding is yarl's (C); it turns invalid UTF-8 into U+FFFD, which is how we see it.
    Hot path: each check runs only where the raw text can hold what it looks for."""
    if len(query) > LIMITS["query"]:
        return Reject(414, "query string too long")
    if query.count("&") >= MAX_PARAMS:
        return Reject(400, "too many parameters")
    escaped = "%" in query
    if escaped and _BAD_PERCENT.search(query):
        return Reject(400, "bad percent-encoding")
    if "\0" in query or (escaped and "%00" in query):
        return Reject(400, "NUL byte in parameters")
    ascii_only = query.isascii()
    if not ascii_only and not _encodable(query):
        return Reject(400, "parameters are not valid UTF-8")
    params = dict(query_to_pairs(query))
    # Decoded text can only be invalid UTF-8 where an escape encodes a byte >= 0x80. A U+FFFD
    # in the output is yarl's mark for invalid bytes, or one that was sent (mojibake in a
    # page title): a strict decode tells which.
    if not ascii_only or (escaped and _HIGH_ESCAPE.search(query)):
        for key, value in params.items():
            if "\ufffd" in value or "\ufffd" in key:
                if not _strict_utf8(query):
                    return Reject(400, "parameters are not valid UTF-8")
                break
    return params


def _strict_utf8(query: str) -> bool:
    # Valid multi-byte sequences hold no ASCII bytes, so the whole query decodes strictly
    # exactly when each of its names and values does.
    try:
        unquote_to_bytes(query).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: undecodable bytes smuggled through
        return False
    return True


class _Invalid(Exception):
    def __init__(self, reason: str, status: int = 400) -> None:
        self.reject = Reject(status, reason)


# The longest value of each parameter a Hit reads (README, "Limits"); checked in one pass
# over what was sent, whatever the action, instead of once per field.
_MAX_LENGTH = (
    dict.fromkeys(("url", "urlref", "download", "link"), LIMITS["url"])
    | dict.fromkeys(("action_name", "e_c", "e_a", "e_n", "search"), LIMITS["text"])
    | dict.fromkeys(("res", "pv_id", "search_cat"), LIMITS["short"])
)


def _check_lengths(params: Mapping[str, str]) -> None:
    limit_of = _MAX_LENGTH.get
    for name, value in params.items():
        limit = limit_of(name)
        if limit is not None and len(value) > limit:
            raise _Invalid(f"{name} too long")


def parse_decimal(raw: str) -> float | None:
    """A decimal number in ASCII (`_DECIMAL`), or None: strict where float() is lenient."""
    if raw.isascii() and (raw.isdigit() or _DECIMAL.fullmatch(raw)):  # isdigit: cheap, usual
        return float(raw)
    return None


def parse_site_id(raw: str) -> int | None:
    """A site id: 1 to 9 ASCII digits, or None. (str.isdigit() alone also passes "²", which
    int() then refuses.)"""
    if 0 < len(raw) <= _MAX_SITE_DIGITS and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


def _number(raw: str, name: str, lo: float, hi: float) -> float:
    value = parse_decimal(raw)
    if value is None:
        raise _Invalid(f"{name} must be a number")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise _Invalid(f"{name} out of range")
    return value


def _url_host(url: str, name: str) -> str:
    """The host of an http(s) URL parameter's value (lowercase, no trailing dot)."""
    match = _HTTP_URL.match(url)
    if match is None:
        raise _Invalid(f"{name} must be an absolute http(s) URL")
    return match[1].lower().rstrip(".")


def parse_time(raw: str | None, now: datetime) -> datetime:
    """`cdt`: a Unix timestamp or 'YYYY-MM-DD HH:MM:SS' in UTC; absent means now."""
    if not raw:
        return now
    try:
        if _UNIX_TIME.fullmatch(raw):
            return datetime.fromtimestamp(float(raw), UTC)
        ts = datetime.fromisoformat(raw)
        # inside the try: an offset can push year 1 or 9999 out of range (OverflowError)
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Invalid("cdt is not a timestamp") from None


def token_valid(given: str | None, token: str | None) -> bool:
    """Constant-time: the check must not reveal how much of a guess was right. Headers and
    cookies hold undecodable bytes as lone surrogates: "surrogatepass" encodes them to bytes
    no valid token's UTF-8 contains, where a strict encode would raise."""
    if not given or not token:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass")
    )


def _action(params: Mapping[str, str]) -> Action:
    if params.get("ping") == "1":
        return Action.PING
    if params.get("e_c") or params.get("e_a"):
        if not (params.get("e_c") and params.get("e_a")):
            raise _Invalid("an event needs e_c and e_a")
        return Action.EVENT
    if params.get("search"):
        return Action.SEARCH
    if params.get("download"):
        return Action.DOWNLOAD
    if params.get("link"):
        return Action.OUTLINK
    return Action.PAGEVIEW


def _language(params: Mapping[str, str], accept_language: str | None) -> str | None:
    raw = params.get("lang") or accept_language or ""
    return _first_language(raw) if len(raw) <= 256 else _first_language(raw[:256])


@functools.lru_cache(maxsize=256)  # visitors share a few Accept-Language values
def _first_language(raw: str) -> str | None:
    tag = raw.split(",", 1)[0].split(";", 1)[0].strip()
    return tag.lower() if tag and len(tag) <= 35 and _LANG.match(tag) else None


def parse_hit(
    params: Mapping[str, str],
    ctx: HitContext,
    find_site: Callable[[int], Site | None],
    *,
    api_token: str | None,
    retention_days: int,
) -> Hit | Reject:
    try:
        return _parse(params, ctx, find_site, api_token, retention_days)
    except _Invalid as exc:
        return exc.reject


def _parse(
    params: Mapping[str, str],
    ctx: HitContext,
    find_site: Callable[[int], Site | None],
    api_token: str | None,
    retention_days: int,
) -> Hit:
    if params.get("rec") != "1":
        raise _Invalid("rec=1 is required")
    site_id = parse_site_id(params.get("idsite", ""))
    if site_id is None:
        raise _Invalid("idsite must be a positive integer")
    site = find_site(site_id)
    if site is None:
        raise _Invalid("unknown idsite")
    _check_lengths(params)
    get = params.get  # absent and empty parameters are the same: `get(name) or None`
    url = get("url")
    if not url:
        raise _Invalid("url is required")
    if not site.owns(_url_host(url, "url")):
        raise _Invalid("url is not on a domain of this site")

    ts = ctx.now
    if cdt := get("cdt"):  # most hits have none: then all of this holds trivially
        ts = parse_time(cdt, ctx.now)
        if ts > ctx.now + _FUTURE_SLACK:
            raise _Invalid("cdt is in the future")
        authorised = token_valid(get("token_auth"), api_token)
        if ts < ctx.now - _OLD_CDT and not authorised:
            raise _Invalid("cdt older than 4 hours needs a valid token_auth", 403)
        if ts < guard(ctx.now, retention_days):  # it would be dropped before it is counted
            raise _Invalid("cdt is older than the retention period less an hour")

    action = _action(params)
    target = None
    if (target_param := _TARGET_PARAMS.get(action)) and (target := get(target_param)):
        _url_host(target, target_param)
    if referrer := get("urlref"):
        _url_host(referrer, "urlref")
    res = get("res")
    pv_id = get("pv_id")
    search_count = get("search_count")
    event_value = get("e_v")
    return Hit(
        site_id=site.site_id,
        ts=ts,
        session_id=ctx.session_id,
        new_visit=get("new_visit") == "1",
        action=action.value,
        url=url,
        title=get("action_name") or None,
        target_url=target or None,
        referrer=referrer or None,
        search_keyword=(get("search") or None) if action is Action.SEARCH else None,
        search_category=get("search_cat") or None,
        search_count=int(_number(search_count, "search_count", 0, 1e9)) if search_count else None,
        event_category=get("e_c") or None,
        event_action=get("e_a") or None,
        event_name=get("e_n") or None,
        event_value=_number(event_value, "e_v", -1e15, 1e15) if event_value else None,
        lang=_language(params, ctx.accept_language),
        resolution=res if res and _RES.match(res) else None,
        pv_id=pv_id if pv_id and _PV_ID.match(pv_id) else None,
        ip_prefix=ctx.ip_prefix,
        country=ctx.country,
        region=ctx.region,
    )

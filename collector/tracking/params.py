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

import orjson
from yarl import query_to_pairs

from collector.retention.horizon import guard
from collector.tracking.ecommerce import BadItems, clean_items
from collector.tracking.goals import MAX_DIMENSION_LENGTH, Dimension, Goal, conversion, converted
from collector.tracking.hit import Action, Drop, DropReason, Hit

MAX_PARAMS = 100
# Longer values are cut to these lengths, not refused (as Matomo cuts titles and URLs to its
# page_maximum_length, 1024, and search categories to 200); README "Limits".
LIMITS = {"url": 4096, "text": 1024, "short": 200, "query": 16384}
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
# A referrer is any absolute URI (RFC 3986: a scheme, then anything): Android apps send
# android-app://com.google.android.gm/, which Matomo accepts.
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_RES = re.compile(r"^[0-9]{1,5}x[0-9]{1,5}$")
# A number as JavaScript writes one: sign, ASCII digits, a decimal point, an exponent. Not
# what float() also takes: "1_000", " 1", "nan", "inf", or digits of other scripts.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNIX_TIME = re.compile(r"[0-9]{9,10}(?:\.[0-9]+)?")
_MAX_SITE_DIGITS = 9
_PV_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_TARGET_PARAMS = {Action.DOWNLOAD: "download", Action.OUTLINK: "link"}
# As Matomo's default (tracking_requests_require_authentication_when_custom_timestamp_newer_than
# = 86400): an older cdt needs token_auth. The guard (retention less an hour) still applies.
_OLD_CDT = timedelta(hours=24)
_INTEGER = re.compile(r"-?[0-9]{1,12}")
_PERFORMANCE = ("pf_net", "pf_srv", "pf_tfr", "pf_dm1", "pf_dm2", "pf_onl")
_MAX_TIMING = 16_777_215  # ms; Matomo ignores longer timings (its column's range)
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
    goals: tuple[Goal, ...] = ()  # active goals, matched on ingest (tracking/goals.py)
    dimensions: tuple[Dimension, ...] = ()  # declared custom dimensions
    _subdomain_suffixes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _goal_by_id: dict[int, Goal] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: owns() runs for every hit, and str.endswith takes a tuple in C.
        object.__setattr__(self, "_subdomain_suffixes", tuple("." + d for d in self.domains))
        object.__setattr__(self, "_goal_by_id", {g.goal_id: g for g in self.goals})

    def goal(self, goal_id: int) -> Goal | None:
        return self._goal_by_id.get(goal_id)

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


# The longest value of each text parameter a Hit keeps (README, "Limits"); longer ones are
# cut, as Matomo cuts them. Checked in one pass over what was sent, whatever the action.
_MAX_LENGTH = (
    dict.fromkeys(("url", "urlref", "download", "link"), LIMITS["url"])
    | dict.fromkeys(
        ("action_name", "e_c", "e_a", "e_n", "search", "c_n", "c_p", "c_t", "c_i"), LIMITS["text"]
    )
    | dict.fromkeys(("search_cat",), LIMITS["short"])
)


def _cut_lengths(params: Mapping[str, str]) -> Mapping[str, str]:
    """`params`, or a copy with over-long text values cut to their limit."""
    limit_of = _MAX_LENGTH.get
    cut: dict[str, str] | None = None
    for name, value in params.items():
        limit = limit_of(name)
        if limit is not None and len(value) > limit:
            if cut is None:
                cut = dict(params)
            cut[name] = value[:limit]
    return params if cut is None else cut


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


def _optional_number(raw: str | None, name: str, lo: float, hi: float) -> float | None:
    return _number(raw, name, lo, hi) if raw else None


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


def _goal_or_untracked(params: Mapping[str, str]) -> Action | Drop | None:
    if (idgoal := params.get("idgoal")) and idgoal != "-1":
        if idgoal == "0":
            return Action.ORDER if params.get("ec_id") else Action.CART_UPDATE
        return Action.GOAL
    if "ma_id" in params:
        return Drop(DropReason.MEDIA)
    if "fa_vid" in params or "fa_id" in params:
        return Drop(DropReason.FORM)
    return None


def _action(params: Mapping[str, str]) -> Action | Drop:
    """What the request is, in Matomo's order: a heartbeat; a goal or ecommerce request (it
    replaces any other action); media and form requests (not kept); an event, content, site
    search, download, outlink; `ca=1` ("not a pageview") with none of these is not kept."""
    get = params.get
    if get("ping") == "1":
        return Action.PING
    if (special := _goal_or_untracked(params)) is not None:
        return special
    if get("e_c") or get("e_a"):
        if not (get("e_c") and get("e_a")):
            raise _Invalid("an event needs e_c and e_a")
        return Action.EVENT
    if get("c_n"):
        return Action.CONTENT_INTERACTION if get("c_i") else Action.CONTENT_IMPRESSION
    if get("search"):
        return Action.SEARCH
    if get("download"):
        return Action.DOWNLOAD
    if get("link"):
        return Action.OUTLINK
    if get("ca") == "1":
        return Drop(DropReason.CUSTOM_ACTION)
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
) -> Hit | Drop | Reject:
    try:
        return _parse(params, ctx, find_site, api_token, retention_days)
    except _Invalid as exc:
        return exc.reject


def _custom_time(
    cdt: str, token: str | None, now: datetime, api_token: str | None, retention_days: int
) -> datetime:
    ts = parse_time(cdt, now)
    if ts > now + _FUTURE_SLACK:
        raise _Invalid("cdt is in the future")
    if ts < now - _OLD_CDT and not token_valid(token, api_token):
        raise _Invalid("cdt older than 24 hours needs a valid token_auth", 403)
    if ts < guard(now, retention_days):  # it would be dropped before it is counted
        raise _Invalid("cdt is older than the retention period less an hour")
    return ts


def _timing(raw: str | None, name: str) -> int | None:
    """A page-performance timing in ms, as Matomo reads it: -1 is "not measured", a negative
    one is refused, one too long for Matomo's column is ignored."""
    if not raw:
        return None
    if not (raw.isascii() and _INTEGER.fullmatch(raw)):
        raise _Invalid(f"{name} must be an integer")
    value = int(raw)
    if value == -1 or value > _MAX_TIMING:
        return None
    if value < 0:
        raise _Invalid(f"{name} can't be negative")
    return value


def _performance(hit: Hit, get: Callable[[str], str | None]) -> None:
    """pf_* of a pageview (matomo.js sends them with the first pageview of a page load)."""
    hit.pf_net = _timing(get("pf_net"), "pf_net")
    hit.pf_srv = _timing(get("pf_srv"), "pf_srv")
    hit.pf_tfr = _timing(get("pf_tfr"), "pf_tfr")
    hit.pf_dm1 = _timing(get("pf_dm1"), "pf_dm1")
    hit.pf_dm2 = _timing(get("pf_dm2"), "pf_dm2")
    hit.pf_onl = _timing(get("pf_onl"), "pf_onl")


def _dimensions(site: Site, get: Callable[[str], str | None]) -> str | None:
    """The declared dimensions sent, as JSON {"v<id>": value, "a<id>": value}; undeclared
    dimensionN are ignored. Values trimmed and cut to 250 characters, as Matomo does."""
    found: dict[str, str] = {}
    for dimension in site.dimensions:
        raw = get(dimension.param)
        if raw and (value := raw.strip()[:MAX_DIMENSION_LENGTH]):
            found[dimension.key] = value
    return orjson.dumps(found).decode() if found else None


def _ecommerce(hit: Hit, get: Callable[[str], str | None]) -> None:
    """An order or cart update: its totals and items. `ec_id` (the shop's order number) is
    only read to tell an order from a cart update, never kept (P3)."""
    hit.ec_subtotal = _optional_number(get("ec_st"), "ec_st", -1e15, 1e15)
    hit.ec_tax = _optional_number(get("ec_tx"), "ec_tx", -1e15, 1e15)
    hit.ec_shipping = _optional_number(get("ec_sh"), "ec_sh", -1e15, 1e15)
    hit.ec_discount = _optional_number(get("ec_dt"), "ec_dt", -1e15, 1e15)
    if items := get("ec_items"):
        try:
            hit.ec_items = clean_items(items)
        except BadItems as exc:
            raise _Invalid(str(exc)) from None


def _goals(hit: Hit, site: Site, params: Mapping[str, str]) -> None:
    """The goals `hit` converted: the one `idgoal=N` names (it must exist, as in Matomo), or
    those whose pattern the hit matches."""
    if hit.action == Action.GOAL:
        idgoal = params.get("idgoal", "")
        goal = site.goal(int(idgoal)) if idgoal.isascii() and idgoal.isdigit() else None
        if goal is None:
            raise _Invalid(f"idgoal {idgoal[:12]} does not exist")
        hit.goals = orjson.dumps([conversion(goal, hit.revenue, None)]).decode()
    elif site.goals:
        hit.goals = converted(site.goals, hit.action, _hit_field(hit), hit.revenue, hit.event_value)


def _hit_field(hit: Hit) -> Callable[[str], str | None]:
    def text_of(name: str) -> str | None:
        value = getattr(hit, name)
        return value if isinstance(value, str) else None

    return text_of


def _parse(
    params: Mapping[str, str],
    ctx: HitContext,
    find_site: Callable[[int], Site | None],
    api_token: str | None,
    retention_days: int,
) -> Hit | Drop:
    if params.get("rec") != "1":
        raise _Invalid("rec=1 is required")
    site_id = parse_site_id(params.get("idsite", ""))
    if site_id is None:
        raise _Invalid("idsite must be a positive integer")
    site = find_site(site_id)
    if site is None:
        raise _Invalid("unknown idsite")
    params = _cut_lengths(params)
    get = params.get  # absent and empty parameters are the same: `get(name) or None`
    url = get("url")
    if not url:
        raise _Invalid("url is required")
    if not site.owns(_url_host(url, "url")):
        raise _Invalid("url is not on a domain of this site")

    ts = ctx.now
    if cdt := get("cdt"):  # most hits have none: then all of this holds trivially
        ts = _custom_time(cdt, get("token_auth"), ctx.now, api_token, retention_days)

    action = _action(params)
    if isinstance(action, Drop):
        return action
    target = None
    if (target_param := _TARGET_PARAMS.get(action)) and (target := get(target_param)):
        _url_host(target, target_param)
    if (referrer := get("urlref")) and not _ABSOLUTE_URI.match(referrer):
        raise _Invalid("urlref must be an absolute URI")
    res = get("res")
    pv_id = get("pv_id")
    search_count = get("search_count")
    event_value = get("e_v")
    hit = Hit(
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
        revenue=_optional_number(get("revenue"), "revenue", -1e15, 1e15),
        country=ctx.country,
        region=ctx.region,
    )
    _details(hit, action, site, params)
    return hit


def _details(hit: Hit, action: Action, site: Site, params: Mapping[str, str]) -> None:
    """What only some hits carry: timings, ecommerce, content, dimensions, goals."""
    get = params.get
    if action is Action.PAGEVIEW:
        for name in _PERFORMANCE:  # most pageviews carry none: one probe each, no parsing
            if name in params:
                _performance(hit, get)
                break
    elif action is Action.ORDER or action is Action.CART_UPDATE:
        _ecommerce(hit, get)
    elif action is Action.CONTENT_IMPRESSION or action is Action.CONTENT_INTERACTION:
        hit.content_name = get("c_n") or None
        hit.content_piece = get("c_p") or None
        hit.content_target = get("c_t") or None
        hit.content_interaction = get("c_i") or None
    if site.dimensions:
        hit.dimensions = _dimensions(site, get)
    if site.goals or action is Action.GOAL:
        _goals(hit, site, params)

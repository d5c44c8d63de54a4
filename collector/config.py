"""One frozen `Settings`, read once from the environment (and an optional TOML file).

Every setting is an environment variable `COLLECTOR_<NAME>`; `COLLECTOR_CONFIG` may name a TOML
file whose keys are the lower-case names without the prefix. The environment wins over the file.
A bad value raises `ConfigError` naming the variable, at start, not on the first hit.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ConfigError(ValueError):
    pass


class Secret(str):
    """A string whose repr never shows the value (tokens, DSNs with passwords)."""

    def __repr__(self) -> str:
        return "Secret('***')"


def _env(name: str, doc: str) -> dict[str, Any]:
    return {"env": f"COLLECTOR_{name}", "doc": doc}


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: Secret | None = field(
        default=None, metadata=_env("DATABASE_URL", "PostgreSQL DSN; unset: embedded PostgreSQL")
    )
    data_dir: Path = field(
        default=Path(".collector"), metadata=_env("DATA_DIR", "embedded database, local files")
    )
    api_token: Secret | None = field(
        default=None, metadata=_env("API_TOKEN", "admin token for reports API and token_auth")
    )
    consent_cookies: tuple[str, ...] = field(
        default=("collector_consent", "mtm_consent", "mtm_cookie_consent"),
        metadata=_env(
            "CONSENT_COOKIES", "cookie names that count as opt-in (collector_consent always does)"
        ),
    )
    ip_mask_level: int = field(
        default=2, metadata=_env("IP_MASK_LEVEL", "1/2/3 IPv4 bytes masked; IPv6 /64,/48,/24 kept")
    )
    retention_days: int = field(
        default=7, metadata=_env("RETENTION_DAYS", "days raw hits and sessions are kept")
    )
    trusted_proxies: tuple[Network, ...] = field(
        default=(), metadata=_env("TRUSTED_PROXIES", "CIDRs whose X-Forwarded-For is believed")
    )
    privacy_signals: tuple[str, ...] = field(
        default=("gpc", "dnt"),
        metadata=_env("PRIVACY_SIGNALS", "browser signals treated as no consent: gpc, dnt"),
    )
    queue_size: int = field(
        default=50_000, metadata=_env("QUEUE_SIZE", "hits held in memory before 503")
    )
    batch_size: int = field(
        default=250, metadata=_env("BATCH_SIZE", "hits per COPY (up to 20x while behind)")
    )
    flush_interval_ms: int = field(
        default=200, metadata=_env("FLUSH_INTERVAL_MS", "longest a hit waits before COPY")
    )
    bulk_max_requests: int = field(
        default=100, metadata=_env("BULK_MAX_REQUESTS", "requests in one bulk POST")
    )
    max_body_bytes: int = field(
        default=256 * 1024, metadata=_env("MAX_BODY_BYTES", "largest request body accepted")
    )
    header_timeout_ms: int = field(
        default=15_000,
        metadata=_env("HEADER_TIMEOUT_MS", "a request head must be in within this long; idle too"),
    )
    body_timeout_ms: int = field(
        default=10_000, metadata=_env("BODY_TIMEOUT_MS", "a request body must be in within this")
    )
    aggregate_retention_days: int = field(
        default=0,
        metadata=_env("AGGREGATE_RETENTION_DAYS", "days daily aggregates are kept; 0 = forever"),
    )
    rollup_min_count: int = field(
        default=2,
        metadata=_env(
            "ROLLUP_MIN_COUNT", "visits a value needs on a day not to be folded into others"
        ),
    )
    rollup_max_rows: int = field(
        default=1000,
        metadata=_env(
            "ROLLUP_MAX_ROWS", "rows a folded day keeps per report; the rest count as others"
        ),
    )
    retention_time: str = field(
        default="00:10", metadata=_env("RETENTION_TIME", "daily retention run, UTC HH:MM")
    )
    access_log: bool = field(
        default=False, metadata=_env("ACCESS_LOG", "a line per request (method, path, status)")
    )
    cookie_domain: str | None = field(
        default=None, metadata=_env("COOKIE_DOMAIN", "Domain of consent cookies; unset: host-only")
    )
    policy_version: str = field(
        default="1", metadata=_env("POLICY_VERSION", "privacy policy version in consent receipts")
    )
    receipt_retention_days: int = field(
        default=395, metadata=_env("RECEIPT_RETENTION_DAYS", "days consent receipts are kept")
    )
    spill_max_bytes: int = field(
        default=1024**3,
        metadata=_env("SPILL_MAX_BYTES", "spill file cap during a database outage; 0: no spill"),
    )
    spill_interval_ms: int = field(
        default=1000,
        metadata=_env("SPILL_INTERVAL_MS", "in an outage, longest a hit waits before fsync"),
    )
    durability: str = field(
        default="batch",
        metadata=_env(
            "DURABILITY", "batch: on disk within the flush interval; fsync: before the answer"
        ),
    )
    rate_limit: int = field(
        default=0, metadata=_env("RATE_LIMIT", "tracked hits per second per IP prefix; 0: off")
    )
    rate_limit_burst: int = field(
        default=200, metadata=_env("RATE_LIMIT_BURST", "hits an IP prefix may send at once")
    )
    report_timeout_ms: int = field(
        default=10_000,
        metadata=_env("REPORT_TIMEOUT_MS", "longest a report query may run (then 503)"),
    )
    timezone: str = field(
        default="UTC", metadata=_env("TIMEZONE", "time zone of a site added without --timezone")
    )
    receipt_rate_limit: int = field(
        default=60,
        metadata=_env("RECEIPT_RATE_LIMIT", "consent receipts per minute per IP prefix; 0: off"),
    )
    receipt_max_per_hour: int = field(
        default=10_000,
        metadata=_env("RECEIPT_MAX_PER_HOUR", "consent receipts per hour in all; 0: off"),
    )
    geoip_db: Path | None = field(
        default=None,
        metadata=_env("GEOIP_DB", "MaxMind-format database for countries; unset: no countries"),
    )
    referrer_spam_list: Path | None = field(
        default=None,
        metadata=_env("REFERRER_SPAM_LIST", "referrer spam hosts, one a line; unset: none"),
    )
    usage_log_listen: tuple[str, int] | None = field(
        default=None,
        metadata=_env("USAGE_LOG_LISTEN", "HOST:PORT for web-server access logs as syslog"),
    )
    usage_retention_days: int = field(
        default=7, metadata=_env("USAGE_RETENTION_DAYS", "days raw web-server usage data are kept")
    )
    usage_query_strings: bool = field(
        default=False,
        metadata=_env("USAGE_QUERY_STRINGS", "keep query strings of usage paths and referrers"),
    )
    usage_aggregates: bool = field(
        default=True,
        metadata=_env("USAGE_AGGREGATES", "keep folded daily usage totals past retention"),
    )

    def __post_init__(self) -> None:
        _check(self.ip_mask_level in (1, 2, 3), "IP_MASK_LEVEL", "must be 1, 2 or 3")
        _check(self.retention_days >= 1, "RETENTION_DAYS", "must be at least 1")
        _check(bool(self.consent_cookies), "CONSENT_COOKIES", "needs at least one cookie name")
        _check(set(self.privacy_signals) <= {"gpc", "dnt"}, "PRIVACY_SIGNALS", "only gpc and dnt")
        for name in (
            "queue_size",
            "batch_size",
            "flush_interval_ms",
            "bulk_max_requests",
            "header_timeout_ms",
            "body_timeout_ms",
        ):
            _check(getattr(self, name) >= 1, name.upper(), "must be >= 1")
        _check(self.max_body_bytes >= 1024, "MAX_BODY_BYTES", "must be >= 1024")
        _check(
            self.aggregate_retention_days == 0
            or self.aggregate_retention_days >= self.retention_days,
            "AGGREGATE_RETENTION_DAYS",
            "must be 0 (forever) or at least RETENTION_DAYS",
        )
        _check(self.rollup_min_count >= 1, "ROLLUP_MIN_COUNT", "must be >= 1 (1: never fold)")
        _check(self.rollup_max_rows >= 10, "ROLLUP_MAX_ROWS", "must be >= 10")
        _check(bool(_HH_MM.match(self.retention_time)), "RETENTION_TIME", "must be HH:MM (UTC)")
        _check(0 < len(self.policy_version) <= 64, "POLICY_VERSION", "1 to 64 characters")
        _check(self.receipt_retention_days >= 1, "RECEIPT_RETENTION_DAYS", "must be at least 1")
        _check(self.spill_max_bytes >= 0, "SPILL_MAX_BYTES", "must be >= 0")
        _check(self.spill_interval_ms >= 1, "SPILL_INTERVAL_MS", "must be >= 1")
        _check(self.durability in ("batch", "fsync"), "DURABILITY", "must be batch or fsync")
        _check(self.rate_limit >= 0, "RATE_LIMIT", "must be >= 0 (0: off)")
        _check(self.rate_limit_burst >= 1, "RATE_LIMIT_BURST", "must be >= 1")
        _check(_is_timezone(self.timezone), "TIMEZONE", "must be an IANA time zone, e.g. UTC")
        _check(self.report_timeout_ms >= 100, "REPORT_TIMEOUT_MS", "must be >= 100")
        _check(self.receipt_rate_limit >= 0, "RECEIPT_RATE_LIMIT", "must be >= 0 (0: off)")
        _check(self.receipt_max_per_hour >= 0, "RECEIPT_MAX_PER_HOUR", "must be >= 0 (0: off)")
        _check(
            self.geoip_db is None or self.geoip_db.is_file(),
            "GEOIP_DB",
            f"no such file: {self.geoip_db}",
        )
        _check(
            self.referrer_spam_list is None or self.referrer_spam_list.is_file(),
            "REFERRER_SPAM_LIST",
            f"no such file: {self.referrer_spam_list}",
        )
        _check(self.usage_retention_days >= 1, "USAGE_RETENTION_DAYS", "must be at least 1")
        _check(
            self.aggregate_retention_days == 0
            or self.aggregate_retention_days >= self.usage_retention_days,
            "AGGREGATE_RETENTION_DAYS",
            "must be 0 (forever) or at least USAGE_RETENTION_DAYS",
        )

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings once: TOML file (if `COLLECTOR_CONFIG`), then the environment."""
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        if path := environ.get("COLLECTOR_CONFIG"):
            try:
                raw.update(tomllib.loads(Path(path).read_text()))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"COLLECTOR_CONFIG: cannot read {path}: {exc}") from None
        for f in fields(cls):
            if (value := environ.get(f.metadata["env"])) is not None:
                raw[f.name] = value
        known = {f.name for f in fields(cls)}
        if unknown := set(raw) - known:
            raise ConfigError(f"COLLECTOR_CONFIG: unknown keys {sorted(unknown)}")
        values = {}
        for f in fields(cls):
            if f.name in raw:
                values[f.name] = _convert(f.name, f.metadata["env"], raw[f.name])
        return cls(**values)


def _check(ok: bool, name: str, why: str) -> None:
    if not ok:
        raise ConfigError(f"COLLECTOR_{name}: {why}")


def _is_timezone(name: str) -> bool:
    from collector.sites import check_timezone  # the same rule as `site add --timezone`

    try:
        check_timezone(name)
    except ValueError:
        return False
    return True


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("not a number")
    return int(value)


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(s.strip() for s in items if str(s).strip())


def _networks(value: Any) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in _names(value))


def _bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError("must be true or false")
    return text in ("1", "true", "yes", "on")


def _listen(value: Any) -> tuple[str, int] | None:
    """`HOST:PORT` (`[::1]:5140` for IPv6) as (host, port); empty: off."""
    text = str(value).strip()
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]") if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or (":" in host and not text.startswith("[")):
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:5140 or [::1]:5140")
    if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return host, int(port)


def _secret(value: Any) -> Secret | None:
    return Secret(value) if str(value) else None


def _cookie_domain(value: Any) -> str | None:
    from collector.sites import normalise_domain  # the same rules as a site's domains

    text = str(value).strip().lstrip(".")  # ".city.example" is the old spelling of the same
    return normalise_domain(text) if text else None


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "database_url": _secret,
    "api_token": _secret,
    "data_dir": lambda v: Path(str(v)),
    "consent_cookies": _names,
    "privacy_signals": lambda v: tuple(s.lower() for s in _names(v)),
    "trusted_proxies": _networks,
    "access_log": _bool,
    "usage_log_listen": _listen,
    "usage_query_strings": _bool,
    "usage_aggregates": _bool,
    "retention_time": lambda v: str(v).strip(),
    "cookie_domain": _cookie_domain,
    "policy_version": lambda v: str(v).strip(),
    "timezone": lambda v: str(v).strip(),
    "durability": lambda v: str(v).strip().lower(),
    "geoip_db": lambda v: Path(str(v).strip()) if str(v).strip() else None,
    "referrer_spam_list": lambda v: Path(str(v).strip()) if str(v).strip() else None,
}


def _convert(name: str, env: str, value: Any) -> Any:
    try:
        return _CONVERTERS.get(name, _int)(value)
    except ValueError as exc:
        raise ConfigError(f"{env}: {exc}") from None


def documented_variables() -> list[tuple[str, str]]:
    """(variable, meaning) for every setting; the README's table must list each."""
    return [(f.metadata["env"], f.metadata["doc"]) for f in fields(Settings)]

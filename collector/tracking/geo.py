"""Countries, and regions where the truncated address still tells, from a MaxMind-format
database the operator provides (`COLLECTOR_GEOIP_DB`: DB-IP's free country or city lite,
GeoLite2, ...). The collector never downloads one (P5); README, "Countries".

Only the truncated address is looked up (`locate(ip_prefix)`): the network address the
handler made before anything else saw the request (P2), e.g. 203.0.0.0 for 203.0.113.57 at
mask level 2. So a country is that of the database's network holding the prefix's first
address, and two visitors of one prefix always get the same one. A region is kept only when
that network holds the whole prefix: then every address the prefix stands for has the same
entry, and the region says no more about a visitor than the prefix does. At level 2 (a /16)
that is rare in a city database, at level 3 (a /8) it does not happen; countries at level 3
are those of the prefix's first block and often wrong.

The reader is the app's (a cleanup context in app.py); lookups are cached per prefix in a
bounded LRU: a site's visitors come from few prefixes, and a client cannot grow it.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb

log = logging.getLogger(__name__)

CACHE_SIZE = 65_536  # every /16 of IPv4 at mask level 2; an entry is two short strings
_KEPT_BITS = {  # bits of the address a mask level keeps (anonymise.py)
    4: {1: 24, 2: 16, 3: 8},
    6: {1: 64, 2: 48, 3: 32},
}
MAX_REGION = 64


@dataclass(frozen=True, slots=True)
class Location:
    country: str | None  # ISO 3166-1 alpha-2, uppercase
    region: str | None  # "DE-BY" (ISO 3166-2), or "DE-Bavaria" where the database has no code


NOWHERE = Location(None, None)


class GeoIP:
    """An open database and its cache. `locate` takes a truncated address, never a full one."""

    def __init__(self, path: Path, mask_level: int, cache_size: int = CACHE_SIZE) -> None:
        self.path = path
        self._reader = maxminddb.open_database(str(path))
        self._kept = {version: bits[mask_level] for version, bits in _KEPT_BITS.items()}
        self.locate = functools.lru_cache(maxsize=cache_size)(self._locate)

    def describe(self) -> str:
        """For the start-up line: which database, built when."""
        meta = self._reader.metadata()
        built = datetime.fromtimestamp(meta.build_epoch, UTC).date().isoformat()
        return f"{self.path.name} ({meta.database_type}, built {built})"

    def close(self) -> None:
        self.locate.cache_clear()
        self._reader.close()

    def _locate(self, ip_prefix: str | None) -> Location:
        if not ip_prefix:
            return NOWHERE
        try:
            version = ipaddress.ip_address(ip_prefix).version
            record, network_bits = self._reader.get_with_prefix_len(ip_prefix)
        except ValueError:  # not an address; or an IPv6 one in an IPv4-only database
            return NOWHERE
        if not isinstance(record, dict):
            return NOWHERE
        country = _country(record)
        if country is None:
            return NOWHERE
        whole_prefix = network_bits <= self._kept[version]
        return Location(country, _region(record, country) if whole_prefix else None)


def _country(record: dict[str, Any]) -> str | None:
    entry = record.get("country")
    code = entry.get("iso_code") if isinstance(entry, dict) else None
    # The file is the operator's, but its content is still checked: a report key, not text.
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


def _region(record: dict[str, Any], country: str) -> str | None:
    subdivisions = record.get("subdivisions")
    if not isinstance(subdivisions, list) or not subdivisions:
        return None
    first = subdivisions[0]
    if not isinstance(first, dict):
        return None
    code = first.get("iso_code")
    if isinstance(code, str) and 0 < len(code) <= 3 and code.isascii() and code.isalnum():
        return f"{country}-{code.upper()}"
    names = first.get("names")
    name = names.get("en") if isinstance(names, dict) else None  # DB-IP lite: names only
    if isinstance(name, str) and name.strip():
        return f"{country}-{name.strip()}"[:MAX_REGION]
    return None


def open_geoip(path: Path | None, mask_level: int) -> GeoIP | None:
    """The database, or None when none is configured. A configured file that cannot be read
    stops the start: an operator who set it expects countries."""
    if path is None:
        log.info("geoip=off reason=COLLECTOR_GEOIP_DB_not_set countries=none")
        return None
    try:
        geoip = GeoIP(path, mask_level)
    except (OSError, maxminddb.InvalidDatabaseError) as exc:
        raise RuntimeError(f"COLLECTOR_GEOIP_DB: cannot read {path}: {exc}") from None
    log.info("geoip=on database=%s", geoip.describe())
    return geoip

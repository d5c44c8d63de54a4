"""Country names for the dashboard's Countries card, from the system's IANA time zone data.

Reports keep ISO 3166-1 alpha-2 codes (the API, the CLI and CSV exports say "DE"); the card
shows "Germany". The names come from `iso3166.tab`, which the IANA tz database ships beside
its zones (Debian's `tzdata` package installs it in /usr/share/zoneinfo): kept current by
IANA, English, short ("Britain (UK)", "Korea (South)"), and already on the machine, where a
package such as pycountry would add megabytes of translations for one column. Without the
file a code stays a code.
"""

from __future__ import annotations

import functools
import zoneinfo
from pathlib import Path


@functools.cache
def country_names() -> dict[str, str]:
    """{"DE": "Germany", …} from the first iso3166.tab on the zone search path, or {}."""
    for folder in zoneinfo.TZPATH:
        try:
            text = (Path(folder) / "iso3166.tab").read_text(encoding="utf-8")
        except OSError:
            continue
        return dict(
            line.split("\t", 1)
            for line in text.splitlines()
            if line and not line.startswith("#") and "\t" in line
        )
    return {}


def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-2 code; the code itself when unknown (also
    for "(unknown)" and "(others)")."""
    return country_names().get(code.upper(), code) if len(code) == 2 else code

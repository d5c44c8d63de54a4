"""The one row an access-log line becomes, and the reasons a line is refused.

A row holds only what the privacy policy lists: time, truncated address prefix, path,
status, bytes, referrer, browser and OS family, and whether a bot sent it. It is a plain
tuple in `COLUMNS` order (what COPY takes), built once per line on the import's hot loop.
"""

from __future__ import annotations

import enum
from datetime import datetime

COLUMNS: tuple[str, ...] = (
    "site_id",
    "ts",
    "ip_prefix",
    "path",
    "status",
    "bytes",
    "referrer",
    "browser",
    "os",
    "bot",
)
# (site_id, ts, ip_prefix, path, status, bytes, referrer, browser, os, bot)
UsageRow = tuple[int, datetime, str | None, str, int, int, str | None, str | None, str | None, bool]


class Refusal(enum.StrEnum):
    """Why a line did not become a row. Counted; the line itself is never logged."""

    UNPARSABLE = "unparsable"  # not a line of the expected format
    TOO_LONG = "too_long"  # over MAX_LINE bytes
    BAD_TIME = "bad_time"  # no valid time
    BAD_STATUS = "bad_status"  # not an HTTP status from 100 to 599
    UNKNOWN_SITE = "unknown_site"  # syslog: no site named by the tag or owning the host
    OTHER_HOST = "other_host"  # import: the line's host is not one of the site's domains
    EXPIRED = "expired"  # older than retention (less an hour): would be dropped at once
    FUTURE = "future"  # more than 10 minutes ahead of the clock


# A syslog message or log line longer than this is refused: real access-log lines stay far
# below (a 4 KiB URL, a 1 KiB user agent); it bounds what one line can make us hold.
MAX_LINE = 16 * 1024
# Paths and referrers are report labels: longer ones are cut, not refused.
MAX_TEXT = 1024

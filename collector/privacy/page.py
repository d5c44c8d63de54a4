"""GET /optout: the opt-out link page (promise P6), in German and English.

Says whether statistics are on for this browser and offers one button that switches, and one
that erases what the session cookie links (P8), as plain forms (no JavaScript). Loads nothing
from anywhere (P5): inline CSS, no images, no fonts. `?embed=1` drops the page chrome for an
iframe; only the configured sites may frame it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from collector.appkeys import SETTINGS, SITES
from collector.config import Settings
from collector.privacy.cookies import receipt_ids
from collector.privacy.origin import (
    content_security_policy,
    safe_return_to,
    site_for_host,
    url_host,
)
from collector.privacy.switch import own_hosts
from collector.tracking.consent import consent_names, has_consent, parse_cookies, refuses_by_signal
from collector.tracking.params import Site, parse_decimal, parse_site_id
from collector.tracking.session import SESSION_COOKIE, session_from_cookie

LANGUAGES = ("de", "en")


class State(enum.Enum):
    ON = "on"
    OFF = "off"
    SIGNAL = "signal"  # off because the browser sends Sec-GPC or DNT


TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Statistics on this website",
        "on": "Statistics are on for this browser: your visits are counted.",
        "off": "Statistics are off for this browser: your visits are not counted.",
        "signal": "Statistics are off: your browser sends a privacy signal ({signal}), "
        "and we respect it.",
        "turn_off": "Turn statistics off",
        "turn_on": "Turn statistics on",
        "receipt": "Receipt of your last choice:",
        "back": "Back to the website",
        "erase": "Erase what this session links",
        "erased": "Erased: {n} linked to this browser session, and the cookie that linked them.",
        "erased_none": "Nothing was linked to this browser session: there was nothing to erase.",
        "record": "1 record",
        "records": "{n} records",
        "about": "What is stored, and your rights",
        "what": "Only with your consent we record the pages you visit, with time, the page "
        "you came from, browser type and a shortened IP address. A cookie without an expiry "
        "date links the pages of one browser session, and nothing else.",
        "find": "While this browser session lasts you can see everything linked to it "
        '(<a href="privacy/me">as JSON</a>) and have it erased. When the session ends, '
        "nothing links these records to you any more, so nobody, not even we, can find "
        "them: that is the point.",
        "keep": "Raw records are deleted after {days} days. Each choice you make here is "
        "kept as a receipt (id, time, choice, policy version; no IP address) for "
        "{receipt_days} days, as proof. Nothing is passed to third parties.",
    },
    "de": {
        "title": "Statistik auf dieser Website",
        "on": "Die Statistik ist für diesen Browser eingeschaltet: Ihre Besuche werden gezählt.",
        "off": "Die Statistik ist für diesen Browser ausgeschaltet: Ihre Besuche werden nicht "
        "gezählt.",
        "signal": "Die Statistik ist ausgeschaltet: Ihr Browser sendet ein Datenschutzsignal "
        "({signal}), und wir beachten es.",
        "turn_off": "Statistik ausschalten",
        "turn_on": "Statistik einschalten",
        "receipt": "Beleg Ihrer letzten Entscheidung:",
        "back": "Zurück zur Website",
        "erase": "Daten dieser Sitzung löschen",
        "erased": "Gelöscht: {n} dieser Browsersitzung, und das Cookie, das sie verknüpfte.",
        "erased_none": "Mit dieser Browsersitzung war nichts verknüpft: Es gab nichts zu löschen.",
        "record": "1 Datensatz",
        "records": "{n} Datensätze",
        "about": "Was gespeichert wird, und Ihre Rechte",
        "what": "Nur mit Ihrer Einwilligung erfassen wir die besuchten Seiten mit Uhrzeit, "
        "der Seite, von der Sie kamen, dem Browsertyp und einer gekürzten IP-Adresse. Ein "
        "Cookie ohne Ablaufdatum verknüpft die Seiten einer Browsersitzung, sonst nichts.",
        "find": "Solange diese Browsersitzung dauert, können Sie alles einsehen, was mit ihr "
        'verknüpft ist (<a href="privacy/me">als JSON</a>), und es löschen lassen. Endet die '
        "Sitzung, verknüpft nichts diese Daten mehr mit Ihnen; niemand, auch wir nicht, kann "
        "sie dann finden: Genau das ist der Zweck.",
        "keep": "Rohdaten werden nach {days} Tagen gelöscht. Jede Entscheidung, die Sie hier "
        "treffen, wird als Beleg (Kennung, Zeit, Entscheidung, Version der "
        "Datenschutzerklärung; keine IP-Adresse) {receipt_days} Tage lang aufbewahrt, als "
        "Nachweis. Nichts wird an Dritte weitergegeben.",
    },
}

STYLE = """
body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0;padding:1rem}
main{max-width:40rem}
.state{font-weight:600}
button{font:inherit;color:#fff;background:#0b4f8a;border:2px solid #0b4f8a;border-radius:.3rem;
padding:.5rem 1rem;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
a{color:#0b4f8a}
code{overflow-wrap:anywhere}
.embed{padding:.25rem}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.embed p,.embed form{margin:0 0 .5rem}
"""


def choose_language(asked: str | None, accept_language: str | None) -> str:
    """`?lang=` when it is one we have, else the best of Accept-Language, else English."""
    if asked in LANGUAGES:
        return asked
    best, best_q = "en", 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        params = params.strip()
        q = (parse_decimal(params[2:]) or 0.0) if params.startswith("q=") else 1.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def consent_state(
    cookies: Mapping[str, str], headers: Mapping[str, str], settings: Settings
) -> State:
    if refuses_by_signal(headers, settings.privacy_signals):
        return State.SIGNAL
    return State.ON if has_consent(cookies, consent_names(settings.consent_cookies)) else State.OFF


def _signal_names(headers: Mapping[str, str], settings: Settings) -> str:
    names = []
    if "gpc" in settings.privacy_signals and headers.get("Sec-GPC") == "1":
        names.append("Global Privacy Control")
    if "dnt" in settings.privacy_signals and headers.get("DNT") == "1":
        names.append("Do Not Track")
    return ", ".join(names)


def _erased_text(t: Mapping[str, str], erased: int) -> str:
    if not erased:
        return t["erased_none"]
    return t["erased"].format(n=t["record"] if erased == 1 else t["records"].format(n=erased))


def render_page(
    *,
    lang: str,
    state: State,
    signal: str,
    can_withdraw: bool,
    receipt: str | None,
    hidden: Mapping[str, str],
    return_to: str | None,
    embed: bool,
    settings: Settings,
    can_erase: bool = False,
    erased: int | None = None,
) -> str:
    """`return_to`: the back link's target; `can_erase`: a session cookie came with the
    request; `erased`: rows the erase form just removed (its redirect says how many)."""
    t = TEXTS[lang]
    status = t[state.value].format(signal=escape(signal))
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    form = ""
    if state is State.OFF:
        form = f'<form method="post" action="optin">{inputs}<button>{t["turn_on"]}</button></form>'
    elif state is State.ON or can_withdraw:
        form = (
            f'<form method="post" action="optout">{inputs}<button>{t["turn_off"]}</button></form>'
        )
    parts = [f'<p class="state" role="status">{status}</p>', form]
    if erased is not None:
        parts.insert(1, f'<p role="status">{_erased_text(t, erased)}</p>')
    if receipt:
        parts.append(f"<p>{t['receipt']} <code>{escape(receipt)}</code></p>")
    # Embedded, the site's page around the frame shows its own heading; the frame keeps one
    # for screen readers, which announce it as a document of its own.
    parts.insert(0, f"<h1{' class=vh' if embed else ''}>{t['title']}</h1>")
    if not embed:
        parts.append(f"<h2>{t['about']}</h2><p>{t['what']}</p><p>{t['find']}</p>")
        if can_erase:  # a plain form: erasing needs no JavaScript
            parts.append(
                f'<form method="post" action="privacy/me/erase">{inputs}'
                f"<button>{t['erase']}</button></form>"
            )
        days = settings.retention_days
        parts.append(
            "<p>"
            + t["keep"].format(days=days, receipt_days=settings.receipt_retention_days)
            + "</p>"
        )
        if return_to:
            parts.append(f'<p><a href="{escape(return_to)}">{t["back"]}</a></p>')
    body_class = ' class="embed"' if embed else ""
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{t['title']}</title><style>{STYLE}</style></head>"
        f"<body{body_class}><main>{''.join(parts)}</main></body></html>\n"
    )


def _framing_sites(
    sites: list[Site], idsite: str, return_to: str | None, referer: str | None
) -> list[Site]:
    """The site that may frame this page and receive its form: the one named by `idsite`,
    else the one owning `return_to`, else the embedding page (Referer). One site, not all:
    the header must stay short however many sites one collector serves."""
    site_id = parse_site_id(idsite)
    named = [s for s in sites if s.site_id == site_id]
    if named:
        return named
    for url in (return_to, referer):
        if site := site_for_host(url_host(url), sites):
            return [site]
    return []


def _back_link(request: web.Request, settings: Settings, sites: list[Site]) -> str | None:
    """Without `return_to`: a back link to the site page the visitor came from (`?back=`
    as the page's own forms carry it along, else the Referer), never to the collector."""
    if back := safe_return_to(request.query.get("back"), sites):
        return back
    back = safe_return_to(request.headers.get("Referer"), sites)  # parsed safely first
    own = {h.lower() for h in own_hosts(request, settings)}
    return None if back is None or urlsplit(back).netloc.lower() in own else back


def _erased(query: Mapping[str, str], cookies: Mapping[str, str]) -> int | None:
    """How many rows the erase form's redirect says it erased. Believed only without a
    session cookie (the erasure expired it), so a link cannot claim erasure of live data."""
    value = query.get("erased", "")
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        return None
    return None if session_from_cookie(cookies.get(SESSION_COOKIE)) else int(value)


async def optout_page(request: web.Request) -> web.Response:
    app = request.app
    settings, sites = app[SETTINGS], app[SITES].all()
    query = request.query
    lang = choose_language(query.get("lang"), request.headers.get("Accept-Language"))
    embed = query.get("embed") == "1"
    return_to = safe_return_to(query.get("return_to"), sites)
    back = None if return_to else _back_link(request, settings, sites)
    idsite = query.get("idsite", "")
    hidden = {"lang": lang}
    if embed:
        hidden["embed"] = "1"
    if parse_site_id(idsite) is not None:
        hidden["idsite"] = idsite
    if return_to:
        hidden["return_to"] = return_to
    if back:
        hidden["back"] = back  # a link only: the switches still come back to this page
    cookies = parse_cookies(request.headers.get("Cookie"))
    state = consent_state(cookies, request.headers, settings)
    held = receipt_ids(cookies)
    html = render_page(
        lang=lang,
        state=state,
        signal=_signal_names(request.headers, settings),
        can_withdraw=has_consent(cookies, consent_names(settings.consent_cookies)),
        receipt=held[0].hex if held else None,
        hidden=hidden,
        return_to=return_to or back,
        embed=embed,
        settings=settings,
        can_erase=session_from_cookie(cookies.get(SESSION_COOKIE)) is not None,
        erased=_erased(query, cookies),
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Content-Security-Policy": content_security_policy(
                _framing_sites(sites, idsite, return_to, request.headers.get("Referer")), STYLE
            ),
            "Cache-Control": "no-store",
            "Content-Language": lang,
            "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
            "X-Content-Type-Options": "nosniff",
        },
    )

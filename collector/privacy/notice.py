"""`collector privacy-notice`: the parts of a privacy policy the collector makes true, from
the live settings: the web server's usage data ("Nutzungsdaten") and the analytics.

Generated from `Settings` and the collector's constants, so that whatever the configuration
says the notice says (IP truncation, retention, cookies, signals). The usage section keeps
the seed policy's own items and sentences (docs/design.md) and adds what makes each one
exact; the rest is in our own words.
A site pastes it into its privacy policy; `--format html` or `md`, `--lang de` or `en`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from collector.config import Settings
from collector.privacy.cookies import CONSENT_COOKIE, MATOMO_CONSENT_COOKIE
from collector.tracking.anonymise import anonymise_ip
from collector.tracking.consent import MATOMO_REMOVED_COOKIE, OPTOUT_COOKIE, consent_names
from collector.tracking.session import SESSION_COOKIE

EXAMPLE_IP = "203.0.113.57"
_V6_KEPT_BITS = {1: 64, 2: 48, 3: 24}  # as Matomo's IPAnonymizer


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[tuple[str, ...]] = field(default_factory=list)  # first row: headings
    items: list[str] = field(default_factory=list)  # a list after the first paragraph


def _t(lang: str, en: str, de: str) -> str:
    return de if lang == "de" else en


def _ip_section(s: Settings, lang: str) -> Section:
    level, bits = s.ip_mask_level, _V6_KEPT_BITS[s.ip_mask_level]
    short = anonymise_ip(EXAMPLE_IP, level)
    en_bytes = "the last byte" if level == 1 else f"the last {level} of 4 bytes"
    de_bytes = "das letzte Byte" if level == 1 else f"die letzten {level} von 4 Bytes"
    return Section(
        _t(lang, "IP address", "IP-Adresse"),
        [
            _t(
                lang,
                f"Your IP address is shortened as soon as a request arrives, before it is stored "
                f"or logged: {en_bytes} of an IPv4 address are set to zero "
                f"(`{EXAMPLE_IP}` becomes `{short}`), of an IPv6 address only the first {bits} "
                f"bits are kept. The full address is never stored.",
                f"Ihre IP-Adresse wird gekürzt, sobald eine Anfrage eintrifft, noch bevor sie "
                f"gespeichert oder protokolliert wird: Bei IPv4 werden {de_bytes} "
                f"auf null gesetzt (aus `{EXAMPLE_IP}` wird `{short}`), bei IPv6 bleiben "
                f"nur die ersten {bits} Bit erhalten. Die vollständige Adresse wird nie "
                f"gespeichert.",
            )
        ],
    )


def _consent_section(s: Settings, lang: str) -> Section:
    names = ", ".join(f"`{n}`" for n in consent_names(s.consent_cookies))
    paragraphs = [
        _t(
            lang,
            f"Statistics are collected only after you agree (legal basis: your consent, "
            f"Art. 6(1)(a) GDPR and § 25(1) TDDDG). Consent is recorded in one of these "
            f"cookies: {names}. You can withdraw it at any time, for the future, on the "
            f"opt-out page (`/optout`); from then on nothing is recorded.",
            f"Statistiken werden erst erhoben, wenn Sie einwilligen (Rechtsgrundlage: Ihre "
            f"Einwilligung, Art. 6 Abs. 1 lit. a DSGVO und § 25 Abs. 1 TDDDG). Die Einwilligung "
            f"wird in einem dieser Cookies vermerkt: {names}. Sie können sie jederzeit mit "
            f"Wirkung für die Zukunft auf der Opt-out-Seite (`/optout`) widerrufen; danach wird "
            f"nichts mehr erfasst.",
        ),
        _t(
            lang,
            f"Each opt-in and opt-out is kept as a receipt (random id, time, choice, version "
            f"`{s.policy_version}` of this policy, site; no IP address, no browser details), "
            f"as proof of consent (Art. 7(1) GDPR). Your browser keeps the receipt's id.",
            f"Jede Einwilligung und jeder Widerruf wird als Beleg gespeichert (Zufallskennung, "
            f"Zeit, Entscheidung, Version `{s.policy_version}` dieser Erklärung, Website; keine "
            f"IP-Adresse, keine Browserdaten), als Nachweis der Einwilligung (Art. 7 Abs. 1 "
            f"DSGVO). Ihr Browser bewahrt die Kennung des Belegs auf.",
        ),
    ]
    signals = [
        name
        for key, name in (("gpc", "Global Privacy Control (Sec-GPC)"), ("dnt", "Do Not Track"))
        if key in s.privacy_signals
    ]
    if signals:
        paragraphs.append(
            _t(
                lang,
                f"If your browser sends {' or '.join(signals)}, we treat that as a refusal: "
                f"nothing is recorded, even with a consent cookie.",
                f"Sendet Ihr Browser {' oder '.join(signals)}, gilt das als Ablehnung: Es wird "
                f"nichts erfasst, auch nicht mit Einwilligungs-Cookie.",
            )
        )
    else:
        paragraphs.append(
            _t(
                lang,
                "Browser privacy signals (Global Privacy Control, Do Not Track) are not "
                "evaluated; only your consent decides.",
                "Datenschutzsignale des Browsers (Global Privacy Control, Do Not Track) werden "
                "nicht ausgewertet; allein Ihre Einwilligung entscheidet.",
            )
        )
    return Section(_t(lang, "Consent", "Einwilligung"), paragraphs)


def _cookie_section(s: Settings, lang: str) -> Section:
    year = _t(lang, "1 year", "1 Jahr")
    rows: list[tuple[str, ...]] = [
        (
            _t(lang, "Cookie", "Cookie"),
            _t(lang, "Purpose", "Zweck"),
            _t(lang, "Lifetime", "Speicherdauer"),
        ),
        (
            f"`{SESSION_COOKIE}`",
            _t(
                lang,
                "links the pages of one browser session (random id)",
                "verknüpft die Seiten einer Browsersitzung (Zufallskennung)",
            ),
            _t(lang, "until the browser is closed", "bis zum Schließen des Browsers"),
        ),
        (
            f"`{CONSENT_COOKIE}`",
            _t(lang, "your consent, with its receipt id", "Ihre Einwilligung, mit Belegkennung"),
            year,
        ),
        (
            f"`{OPTOUT_COOKIE}`",
            _t(lang, "your objection, with its receipt id", "Ihr Widerspruch, mit Belegkennung"),
            year,
        ),
    ]
    rows.append(
        (
            f"`{MATOMO_CONSENT_COOKIE}`, `{MATOMO_REMOVED_COOKIE}`",
            _t(
                lang,
                "your consent or objection, for the website's Matomo tracker (a time)",
                "Ihre Einwilligung bzw. Ihr Widerspruch, für den Matomo-Tracker der Website "
                "(ein Zeitpunkt)",
            ),
            year,
        )
    )
    for name in s.consent_cookies:
        if name not in (CONSENT_COOKIE, MATOMO_CONSENT_COOKIE):
            rows.append(
                (
                    f"`{name}`",
                    _t(
                        lang,
                        "consent given through the website's own consent tool",
                        "Einwilligung über das Einwilligungswerkzeug der Website",
                    ),
                    _t(lang, "as that tool sets it", "wie dort festgelegt"),
                )
            )
    paragraphs = []
    if s.cookie_domain:
        paragraphs.append(
            _t(
                lang,
                f"The consent cookies are valid for `{s.cookie_domain}` and its subdomains.",
                f"Die Einwilligungs-Cookies gelten für `{s.cookie_domain}` und ihre Subdomains.",
            )
        )
    return Section("Cookies", paragraphs, rows)


def _countries(s: Settings, lang: str) -> str:
    """Said only when countries are on (COLLECTOR_GEOIP_DB)."""
    if s.geoip_db is None:
        return ""
    return _t(
        lang,
        " The country (and, where the shortened address still tells, the region) is looked "
        "up from the shortened IP address only, in a database on our own server; the full "
        "address is never used for it.",
        " Das Land (und, wo die gekürzte Adresse es noch erkennen lässt, die Region) wird "
        "allein aus der gekürzten IP-Adresse ermittelt, mit einer Datenbank auf unserem "
        "eigenen Server; die vollständige Adresse wird dafür nie verwendet.",
    )


def _usage_section(s: Settings, lang: str) -> Section:
    """The web server's access log (collector/usage/): the seed policy's first paragraph,
    each of its items made true by the configuration."""
    short = anonymise_ip(EXAMPLE_IP, s.ip_mask_level)
    query = s.usage_query_strings
    days = s.usage_retention_days
    items = [
        _t(
            lang,
            "the address of the content requested (its path"
            + (", with query parameters)" if query else ", without query parameters)"),
            "dem Namen und der Adresse der angeforderten Inhalte (ihr Pfad"
            + (", mit Abfrageparametern)" if query else ", ohne Abfrageparameter)"),
        ),
        _t(lang, "the date and time of the request", "dem Datum und der Uhrzeit der Abfrage"),
        _t(lang, "the amount of data transferred", "der übertragenen Datenmenge"),
        _t(
            lang,
            "the access status (content transferred, content not found: the HTTP status code)",
            "dem Zugriffsstatus (Inhalt übertragen, Inhalt nicht gefunden: der HTTP-Statuscode)",
        ),
        _t(
            lang,
            "the target of the request (which of our websites)",
            "Ziel der Anfrage (welche unserer Webseiten)",
        ),
        _t(
            lang,
            "the page from which you came to our website",
            "Webseite von der aus der/die Besucher/in auf unsere Webseite gelangt",
        ),
        _t(
            lang,
            "the type of web browser and operating system (only its family, such as Firefox "
            "or Windows; not the full description), and whether a program (bot) sent it",
            "der Beschreibung des verwendeten Webbrowsers und des Betriebssystems (nur die Art, "
            "etwa Firefox oder Windows, nicht die vollständige Kennung) und ob ein Programm "
            "(Bot) anfragt",
        ),
        _t(
            lang,
            "the referral link, which says from which page you came to ours"
            + ("" if query else " (without query parameters)"),
            "dem Referral-Link, der angibt, von welcher Seite Sie auf unsere gelangt sind"
            + ("" if query else " (ohne Abfrageparameter)"),
        ),
        _t(
            lang,
            f"the IP address of the requesting computer, shortened so that no person can be "
            f"identified from it (anonymisation): as it arrives, before it is stored or "
            f"logged; `{EXAMPLE_IP}` becomes `{short}`",
            f"der IP-Adresse des anfragenden Rechners, die so verkürzt wird, dass ein "
            f"Personenbezug nicht mehr herstellbar ist (Anonymisierung): beim Eintreffen, vor "
            f"jeder Speicherung oder Protokollierung; aus `{EXAMPLE_IP}` wird `{short}`",
        ),
    ]
    if s.usage_aggregates:
        after = _t(
            lang,
            "After that only totals per day remain, without IP addresses, rare values combined.",
            "Danach bleiben nur Tagessummen ohne IP-Adressen, seltene Werte zusammengefasst.",
        )
    else:
        after = _t(lang, "Nothing of them remains after that.", "Danach bleibt nichts davon.")
    return Section(
        _t(lang, "Usage data", "Nutzungsdaten"),
        [
            _t(
                lang,
                "When you visit our websites, our web server temporarily evaluates so-called "
                "usage data as a log, for statistical purposes and to improve the quality of "
                "our websites. This record consists of",
                "Wenn Sie unsere Webseiten besuchen, werden auf unserem Webserver temporär "
                "sogenannte Nutzungsdaten zu statistischen Zwecken als Protokoll ausgewertet, "
                "um die Qualität unserer Webseiten zu verbessern. Dieser Datensatz besteht aus",
            ),
            _t(
                lang,
                f"These log data are evaluated for security, statistical and administrative "
                f"purposes only, are not passed to third parties, and are deleted automatically "
                f"after {days} days (within the hour after). {after} They are not linked to the "
                f"website statistics below, and no cookie is set for them.",
                f"Die genannten Protokolldaten werden nur zu Sicherheits-, Statistik- und "
                f"Administrationszwecken ausgewertet, nicht an Dritte weitergegeben und "
                f"automatisch nach {days} Tagen gelöscht (innerhalb der Stunde danach). {after} "
                f"Sie werden nicht mit der Statistik über die Nutzung der Website verknüpft, und "
                f"es wird dafür kein Cookie gesetzt.",
            ),
            _t(
                lang,
                "The legal basis for processing the usage data is Art. 6(1)(f) GDPR: our "
                "legitimate interest in providing the content of the website securely and in "
                "presenting it well on every device and browser. It needs no consent.",
                "Rechtsgrundlage der Verarbeitung der Nutzungsdaten ist Art. 6 Abs. 1 S. 1 lit. "
                "f DSGVO. Die Verarbeitung erfolgt in dem berechtigten Interesse, die Inhalte "
                "der Webseite bereitzustellen und eine Geräte- sowie Browseroptimierte "
                "Darstellung sicherzustellen. Eine Einwilligung ist dafür nicht nötig.",
            ),
        ],
        items=items,
    )


def notice_sections(s: Settings, lang: str) -> list[Section]:
    collected = Section(
        _t(lang, "Website statistics", "Statistik über die Nutzung der Website"),
        [
            _t(
                lang,
                "With your consent we count how this website is used, with an analytics "
                "service we run ourselves. Recorded per page view: the page address and title, "
                "the time, the page you came from, search terms used on this site, downloads "
                "and links followed, browser and operating system type, device type, language, "
                "screen size, and a shortened IP address"
                + (", and the country" if s.geoip_db else "")
                + "; where the website asks for it, also how long the page took to load, goals "
                "reached, orders with their products and totals (never the order number), which "
                "content was seen or clicked, and values the website defines for its own "
                "statistics." + _countries(s, "en") + " Reports show totals only.",
                "Mit Ihrer Einwilligung zählen wir, wie diese Website genutzt wird, mit einem "
                "Analysedienst, den wir selbst betreiben. Je Seitenaufruf erfasst werden: "
                "Adresse und Titel der Seite, die Uhrzeit, die Seite, von der Sie kamen, "
                "Suchbegriffe der Suche dieser Website, Downloads und aufgerufene Links, Typ "
                "von Browser und Betriebssystem, Gerätetyp, Sprache, Bildschirmgröße und eine "
                "gekürzte IP-Adresse"
                + (" sowie das Land" if s.geoip_db else "")
                + "; wo die Website es vorsieht, auch die Ladezeit der Seite, erreichte Ziele, "
                "Bestellungen mit Produkten und Summen (nie die Bestellnummer), welche Inhalte "
                "gesehen oder angeklickt wurden, und Werte, die die Website für ihre eigene "
                "Statistik festlegt." + _countries(s, "de") + " Berichte zeigen nur Summen.",
            )
        ],
    )
    retention = Section(
        _t(lang, "Storage period", "Speicherdauer"),
        [
            _t(
                lang,
                f"Raw records of page views are deleted automatically after "
                f"{s.retention_days} days: each hour's records within the hour after they "
                f"are {s.retention_days} days old, so none is kept longer than "
                f"{s.retention_days} days and one hour. Only totals per day, without a session "
                f"id or IP address, may be kept longer; values seen in fewer than "
                f'{s.rollup_min_count} visits a day are counted only as "others". Consent '
                f"receipts are deleted after {s.receipt_retention_days} days.",
                f"Rohdaten der Seitenaufrufe werden nach {s.retention_days} Tagen automatisch "
                f"gelöscht: die Daten jeder Stunde in der Stunde, nachdem sie "
                f"{s.retention_days} Tage alt sind, also keine länger als {s.retention_days} "
                f"Tage und eine Stunde. Nur Tagessummen ohne Sitzungskennung und IP-Adresse "
                f"können länger bleiben; Werte, die an einem Tag in weniger als "
                f'{s.rollup_min_count} Besuchen vorkommen, zählen dabei nur als "Sonstige". '
                f"Einwilligungsbelege werden nach {s.receipt_retention_days} Tagen gelöscht.",
            )
        ],
    )
    place = Section(
        _t(lang, "Where data are processed", "Ort der Verarbeitung"),
        [
            _t(
                lang,
                "All of it is processed on our own server, in our own database. Nothing is "
                "passed to third parties, and no content is loaded from other providers.",
                "Alles wird auf unserem eigenen Server in unserer eigenen Datenbank "
                "verarbeitet. Nichts wird an Dritte weitergegeben, und es werden keine Inhalte "
                "anderer Anbieter geladen.",
            )
        ],
    )
    rights = Section(
        _t(lang, "Your rights", "Ihre Rechte"),
        [
            _t(
                lang,
                "While your browser session lasts you can see everything linked to it, as "
                "JSON (`GET /privacy/me`: access and portability), and erase it (the erase "
                "button on the opt-out page `/optout`, or `DELETE /privacy/me`). Once the "
                "session has ended, nothing links the records "
                "to you any more, so they cannot be found, by you or by us.",
                "Solange Ihre Browsersitzung dauert, können Sie alles, was mit ihr verknüpft "
                "ist, als JSON abrufen (`GET /privacy/me`: Auskunft und Übertragbarkeit) und "
                "löschen (mit der Schaltfläche auf der Widerspruchsseite `/optout` oder "
                "`DELETE /privacy/me`). Nach dem Ende der Sitzung verknüpft nichts "
                "die Daten mehr mit Ihnen; sie sind dann weder für Sie noch für uns auffindbar.",
            )
        ],
    )
    return [
        _usage_section(s, lang),
        collected,
        _ip_section(s, lang),
        _consent_section(s, lang),
        _cookie_section(s, lang),
        retention,
        place,
        rights,
    ]


_CODE = re.compile(r"`([^`]+)`")


def _html_text(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", escape(text))


def render_markdown(sections: list[Section]) -> str:
    out: list[str] = []
    for section in sections:
        out += [f"## {section.title}", ""]
        for n, paragraph in enumerate(section.paragraphs):
            out += [paragraph, ""]
            if n == 0 and section.items:
                out += [f"- {item}" for item in section.items] + [""]
        if section.table:
            head, *rows = section.table
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(row) + " |" for row in rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(sections: list[Section]) -> str:
    out: list[str] = []
    for section in sections:
        out.append(f"<section>\n<h2>{escape(section.title)}</h2>")
        for n, paragraph in enumerate(section.paragraphs):
            out.append(f"<p>{_html_text(paragraph)}</p>")
            if n == 0 and section.items:
                out.append("<ul>" + "".join(f"<li>{_html_text(i)}</li>" for i in section.items))
                out[-1] += "</ul>"
        if section.table:
            head, *rows = section.table
            out.append("<table>")
            out.append("<tr>" + "".join(f"<th>{_html_text(h)}</th>" for h in head) + "</tr>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td>{_html_text(c)}</td>" for c in row) + "</tr>")
            out.append("</table>")
        out.append("</section>")
    return "\n".join(out) + "\n"


def privacy_notice(settings: Settings, lang: str = "en", fmt: str = "md") -> str:
    sections = notice_sections(settings, lang)
    return render_html(sections) if fmt == "html" else render_markdown(sections)

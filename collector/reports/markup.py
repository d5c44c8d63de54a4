"""The dashboard's HTML: pure functions from numbers to markup, and its stylesheet.

Everything a page needs is in the page (promise P5): the stylesheet inline, allowed by its
hash in the Content-Security-Policy; no scripts, fonts or images from anywhere. Every value
from the database or the request passes through `escape`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from collector.reports.countries import country_name
from collector.reports.svg import bar_chart

CSS = """
:root{--fg:#1d2430;--muted:#555f70;--line:#dde2ea;--bg:#f5f7fa;--card:#fff;--accent:#2a64a8;
--focus:#b35c00}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;
justify-content:space-between;padding:.75rem 1rem;background:var(--card);
border-bottom:1px solid var(--line)}
h1{font-size:1.15rem;margin:0}
h2{font-size:1rem;margin:0}
main{max-width:80rem;margin:0 auto;padding:1rem}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{
outline:3px solid var(--focus);outline-offset:2px}
form.period{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
input,select,button{font:inherit;padding:.3rem .45rem;border:1px solid #767f8c;
border-radius:4px;background:#fff;color:var(--fg)}
button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
button.link{background:none;color:var(--accent);border:none;padding:0;text-decoration:underline}
.numbers{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.75rem;
margin:0 0 1rem;padding:0;list-style:none}
.numbers li{background:var(--card);border:1px solid var(--line);border-radius:6px;
padding:.6rem .8rem}
.numbers .name{display:block;font-size:.8rem;color:var(--muted)}
.numbers .value{font-size:1.5rem;font-weight:600}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.8rem;
margin-bottom:1rem;min-width:0}
.head{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem;
margin:0 0 .5rem}
.head a{font-size:.8rem}
.tables{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,23rem),1fr));
gap:0 1rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.3rem .35rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.8rem;vertical-align:bottom}
td.text{max-width:0;min-width:4.5rem;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
td.short{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;width:1%}
th.num{white-space:normal;overflow-wrap:normal}
.facts th{vertical-align:top;font-size:.9rem;color:var(--fg);font-weight:normal}
.empty{color:var(--muted)}
.live{margin:0 0 1rem;color:var(--muted)}
nav.tabs{display:flex;gap:1rem;margin:0 0 1rem}
nav.tabs a{text-decoration:none;padding-bottom:.2rem}
nav.tabs a[aria-current]{color:var(--fg);font-weight:600;border-bottom:2px solid var(--accent)}
.chart{width:100%;height:auto;display:block}
.chart .bar{fill:var(--accent)}
.chart .axis{stroke:var(--line)}
.chart .label{fill:var(--muted);font-size:11px}
footer{max-width:80rem;margin:0 auto;padding:0 1rem 1.5rem;font-size:.85rem;color:var(--muted)}
.login{max-width:22rem;margin:15vh auto;background:var(--card);padding:1.25rem;
border:1px solid var(--line);border-radius:6px}
.login form{display:flex;flex-direction:column;gap:.75rem}
.error{color:#a4262c}
.hint{font-size:.8rem;color:var(--muted);margin:0}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);
white-space:nowrap}
@media (max-width:30rem){.numbers .value{font-size:1.25rem}main{padding:.5rem}
section{padding:.6rem .45rem}table{font-size:.85rem}th{font-size:.75rem}
th,td{padding:.3rem .2rem}}
""".strip()

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

DASH = "\u2013"
NO_VALUE = DASH  # a missing number: no visits to average over

SUMMARY_METRICS = [
    ("visits", "Visits"),
    ("pageviews", "Pageviews"),
    ("unique_pageviews", "Unique pageviews"),
    ("bounce_rate", "Bounce rate"),
    ("avg_visit_duration", "Avg. visit duration"),
    ("actions_per_visit", "Actions per visit"),
]
USAGE_METRICS = [
    ("requests", "Requests"),
    ("bytes", "Transferred"),
    ("bot_share", "Bot share"),
    ("status_4xx", "Client errors (4xx)"),
    ("status_5xx", "Server errors (5xx)"),
]
TABS = (("visits", "Visits"), ("usage", "Web server"))
# Amounts of money (revenue the tracker sent, in the site's currency): two decimals.
MONEY = frozenset(
    {"revenue", "subtotal", "tax", "shipping", "discount", "avg_order_value", "avg_price",
     "abandoned_revenue"}
)  # fmt: skip
# Reports with more columns than a card of 23rem (a third of a laptop's screen, a phone's
# width) holds with its labels readable: the columns their card shows, a label or two and
# about three numbers. Their CSV has every column; other reports' cards show all of theirs.
CARD_COLUMNS: Mapping[str, Sequence[str]] = {
    "referrers": ("type", "name", "visits", "bounce_rate"),
    "goals": ("goal", "conversions", "conversion_rate", "revenue"),
    "entry-pages": ("page", "entrances", "bounce_rate"),
    "campaigns": ("campaign", "source", "visits", "bounce_rate"),
    "products": ("name", "quantity", "revenue"),
    "screen-sizes": ("width", "resolution", "visits", "bounce_rate"),
    "languages": ("language", "visits", "bounce_rate"),
    "events": ("category", "action", "name", "events"),
}
# One-row reports, shown as a list of name and value, and the values their card shows.
FACTS: Mapping[str, Sequence[str]] = {
    "ecommerce": (
        "orders", "revenue", "avg_order_value", "items", "visits_converted", "conversion_rate",
        "abandoned_carts", "abandoned_revenue",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DashboardView:
    sites: Sequence[tuple[int, str]]
    site_id: int
    first: date
    last: date
    summary: Mapping[str, Any]
    chart: Sequence[tuple[str, int]]
    chart_unit: str  # "day" or "hour"
    tables: Sequence[tuple[str, str, Sequence[Mapping[str, Any]]]]  # title, report, rows
    timezone: str = "UTC"
    live: Mapping[str, Any] | None = None  # the last 30 minutes, when the period holds today
    csrf: str = ""  # the session's CSRF value, for the logout form
    share_path: str | None = None  # a share link's read-only view: no site list, no logout
    cards: frozenset[str] | None = None  # the cards a share link shows; None: all
    view: str = "visits"  # the tab: "visits" (analytics) or "usage" (the web server's log)
    export_query: str = ""  # the page's own query string, carried to each card's CSV link


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'  # no favicon request
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def login_page(error: str | None = None, csrf: str = "") -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _document(
        "collector: log in",
        '<main class="login"><h1>collector dashboard</h1>'
        f"{message}"
        '<form method="post" action="/dashboard/login">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<label>Name <input name="name" autocomplete="username" autofocus></label>'
        '<label>Password <input type="password" name="password" required '
        'autocomplete="current-password"></label>'
        '<p class="hint">Operator: leave the name empty and enter COLLECTOR_API_TOKEN.</p>'
        '<button type="submit">Log in</button></form></main>',
    )


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return NO_VALUE
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def format_bytes(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def format_value(key: str, value: Any) -> str:
    if value is None:
        return NO_VALUE
    if key.endswith(("_rate", "_share")) or key == "share":
        return f"{value:.1f} %"
    if key == "bytes":
        return format_bytes(int(value))
    if key.endswith("_duration"):
        return format_duration(value)
    if key in MONEY:
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _numbers(summary: Mapping[str, Any], metrics: Sequence[tuple[str, str]]) -> str:
    items = []
    for key, name in metrics:
        value = summary.get(key)
        raw = "" if value is None else str(value)
        items.append(
            f'<li data-metric="{key}" data-value="{escape(raw)}"><span class="name">{name}'
            f'</span><span class="value">{escape(format_value(key, value))}</span></li>'
        )
    return f'<ul class="numbers">{"".join(items)}</ul>'


def _export_href(view: DashboardView, card: str) -> str:
    """The CSV of a card: the same site, period and filters as the page (its query string)."""
    base = view.share_path if view.share_path is not None else "/dashboard"
    query = f"?{view.export_query}" if view.export_query else ""
    return f"{base}/export/{card}.csv{query}"


def _card_head(title: str, href: str) -> str:
    """The card's title, and its CSV link, whose hidden words say which card it exports."""
    return (
        f'<div class="head"><h2>{escape(title)}</h2><a href="{escape(href)}">CSV'
        f'<span class="vh"> of {escape(title)}</span></a></div>'
    )


SHORT = 12  # characters: a text column no longer than this ("direct", "≥ 1920") stays whole


def _cell(report: str, key: str, value: Any, kind: str) -> str:
    """A number stays whole on one line; a long text is cut with an ellipsis where the card
    is narrow, its whole value in the title (and in the text a screen reader reads)."""
    text = format_value(key, value)
    if kind == "num":
        return f'<td class="num">{escape(text)}</td>'
    shown = country_name(text) if report == "countries" and key == "country" else text
    return f'<td class="{kind}" title="{escape(text)}">{escape(shown)}</td>'


def _kinds(report: str, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each column's class: "num" (right-aligned, whole), "short" text (whole) or "text" (the
    long ones share what the numbers leave, cut with an ellipsis)."""
    kinds = {}
    for k in keys:
        if any(isinstance(r[k], int | float) for r in rows):
            kinds[k] = "num"
        elif report != "countries" and all(len(format_value(k, r[k])) <= SHORT for r in rows):
            kinds[k] = "short"
        else:
            kinds[k] = "text"
    return kinds


def _table(title: str, report: str, rows: Sequence[Mapping[str, Any]], href: str = "") -> str:
    head = f'<section data-report="{escape(report)}">{_card_head(title, href)}'
    if not rows:
        return head + '<p class="empty">Nothing in this period.</p></section>'
    if report in FACTS:
        return head + _facts(report, rows[0]) + "</section>"
    keys = [
        k
        for k in CARD_COLUMNS.get(report, rows[0])
        if k not in MONEY or any(r[k] for r in rows)  # no revenue column of zeros
    ]
    kinds = _kinds(report, keys, rows)
    th = "".join(
        f'<th scope="col"{" class=num" if kinds[k] == "num" else ""}>'
        f"{escape(k.replace('_', ' '))}</th>"
        for k in keys
    )
    body = "".join(
        "<tr>" + "".join(_cell(report, k, r[k], kinds[k]) for k in keys) + "</tr>" for r in rows
    )
    return (
        f'{head}<div class="scroll"><table><thead><tr>{th}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></section>"
    )


def _facts(report: str, row: Mapping[str, Any]) -> str:
    """A one-row report (ecommerce) as name and value, one per line."""
    lines = "".join(
        f'<tr><th scope="row">{escape(k.replace("_", " "))}</th>'
        f'<td class="num">{escape(format_value(k, row.get(k)))}</td></tr>'
        for k in FACTS[report]
    )
    return f'<table class="facts"><tbody>{lines}</tbody></table>'


def _exports(view: DashboardView, summary: str, shown: Any) -> str:
    """The page's own numbers as CSV, and the open-data files of the site's daily totals."""
    links = []
    if shown("summary"):
        links.append(f'<a href="{escape(_export_href(view, summary))}">headline numbers</a>')
    if view.view == "visits" and shown("opendata"):
        for card, name in (
            ("opendata", "open data: totals per day"),
            ("opendata-pages", "open data: top pages per day"),
        ):
            links.append(f'<a href="{escape(_export_href(view, card))}">{name}</a>')
    return f"<footer><p>CSV: {' · '.join(links)}</p></footer>" if links else ""


def _live(live: Mapping[str, Any] | None) -> str:
    if live is None:
        return ""
    visitors = int(live["visitors"])
    pages = ", ".join(f"{escape(p['page'])} ({int(p['visitors'])})" for p in live["pages"][:5])
    return (
        f'<p class="live" data-live="{visitors}"><strong>{visitors}</strong> '
        f"{'visitor' if visitors == 1 else 'visitors'} in the last {int(live['minutes'])} "
        f"minutes{': ' + pages if pages else ''}</p>"
    )


def _period_form(view: DashboardView) -> str:
    period = (
        f'<label>From <input type="date" name="from" value="{view.first.isoformat()}"></label>'
        f'<label>To <input type="date" name="to" value="{view.last.isoformat()}"></label>'
        f'<input type="hidden" name="view" value="{escape(view.view)}">'
        '<button type="submit">Show</button>'
    )
    if view.share_path is not None:  # one site only, and nothing to log out of
        return (
            f'<form class="period" method="get" action="{escape(view.share_path)}">{period}</form>'
        )
    options = "".join(
        f'<option value="{sid}"{" selected" if sid == view.site_id else ""}>'
        f"{escape(name)} ({sid})</option>"
        for sid, name in view.sites
    )
    return (
        '<form class="period" method="get" action="/dashboard">'
        f'<label>Site <select name="site">{options}</select></label>{period}</form>'
        '<form method="post" action="/dashboard/logout">'
        f'<input type="hidden" name="csrf" value="{escape(view.csrf)}">'
        '<button class="link" type="submit">Log out</button></form>'
    )


def _tabs(view: DashboardView) -> str:
    """Links, not scripts: each tab is the same site and period in the other view."""
    links = []
    period = f"from={view.first.isoformat()}&to={view.last.isoformat()}"
    for key, name in TABS:
        if view.share_path is not None:  # a link of every card: its tabs stay on the link
            href = f"{view.share_path}?{period}"
        else:
            href = f"/dashboard?site={view.site_id}&{period}"
        href += "" if key == "visits" else f"&view={key}"
        current = ' aria-current="page"' if key == view.view else ""
        links.append(f'<a href="{escape(href)}"{current}>{name}</a>')
    return f'<nav class="tabs">{"".join(links)}</nav>'


def dashboard_page(view: DashboardView) -> str:
    site_name = dict(view.sites).get(view.site_id, str(view.site_id))
    period = (
        view.first.isoformat()
        if view.first == view.last
        else f"{view.first.isoformat()} {DASH} {view.last.isoformat()}"
    )
    shown = (lambda card: True) if view.cards is None else view.cards.__contains__
    usage = view.view == "usage"
    unit = "requests" if usage else "visits"
    chart = bar_chart(view.chart, unit=unit)
    tables = "".join(
        _table(title, report, rows, _export_href(view, report))
        for title, report, rows in view.tables
        if shown(report)
    )
    metrics = USAGE_METRICS if usage else SUMMARY_METRICS
    series = "usage-over-time" if usage else "visits-over-time"
    by_hour = ("usage-by-hour" if usage else "visits-by-hour") if view.chart_unit == "hour" else ""
    chart_title = f"{unit.capitalize()} per {view.chart_unit} ({view.timezone})"
    tabs = _tabs(view) if view.cards is None else ""  # a share link: its cards only
    body = (
        f"<header><h1>{escape(site_name)} · {escape(period)}</h1>{_period_form(view)}</header>"
        f"<main>{tabs}{_live(view.live) if shown('live') else ''}"
        f"{_numbers(view.summary, metrics) if shown('summary') else ''}"
        + (
            f'<section data-report="{series}">'
            f"{_card_head(chart_title, _export_href(view, by_hour or series))}{chart}</section>"
            if shown("chart")
            else ""
        )
        + f'<div class="tables">{tables}</div></main>'
        + _exports(view, "usage-summary" if usage else "summary", shown)
    )
    return _document(f"collector: {site_name}, {period}", body)


def error_page(status_reason: str) -> str:
    return _document(
        "collector: error",
        f'<main class="login"><p class="error">{escape(status_reason)}</p>'
        '<p><a href="/dashboard">Back to the dashboard</a></p></main>',
    )

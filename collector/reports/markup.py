"""The dashboard's HTML: pure functions from numbers to markup, and its stylesheet.

Everything a page needs is in the page or on this server (promise P5): the stylesheet inline,
allowed by its hash in the Content-Security-Policy; one script, the live line's refresher,
from the collector itself (`script-src 'self'`, nothing inline); no fonts or images. The page
works without the script: periods, comparison and filters are links and GET forms. Every value
from the database or the request passes through `escape`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any
from urllib.parse import urlencode

from collector.reports.countries import country_name
from collector.reports.filters import BY_KEY, NONE, Filters, row_filter
from collector.reports.period import PRESETS
from collector.reports.svg import bar_chart

CSS = (
    """
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
button.link{background:none;color:var(--accent);border:none;padding:0;text-decoration:underline;white-space:nowrap}
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
.chart{width:100%;display:block;overflow:visible}
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
    + (
        # issue 18: period presets, comparison, filter chips, row links, live
        "nav.presets{display:flex;flex-wrap:wrap;gap:.25rem .75rem;margin:0 0 .75rem}"
        "nav.presets a{color:var(--accent)}nav.presets a[aria-current]{color:var(--fg);"
        "font-weight:600;text-decoration:none}"
        ".chips{display:flex;flex-wrap:wrap;gap:.4rem;margin:0 0 1rem;padding:0;list-style:none}"
        ".chips li{background:#e6eef8;border:1px solid #b9cde6;border-radius:1rem;"
        "padding:.15rem .3rem .15rem .65rem;font-size:.85rem}"
        ".chips a{color:var(--fg);margin-left:.3rem;padding:0 .3rem;text-decoration:none;"
        "font-weight:600}"
        ".delta{display:block;font-size:.8rem;color:var(--muted)}"
        ".delta.up{color:#1b6e2e}.delta.down{color:#a4262c}"
        "td a{color:var(--accent);text-decoration:none}"
        "td a:hover,td a:focus{text-decoration:underline}"
        ".note{font-size:.85rem;color:var(--muted);margin:0 0 .5rem}"
        ".coverage{background:#fff6e0;border:1px solid #e8d39a;border-radius:6px;"
        "padding:.5rem .75rem;margin:0 0 1rem}"
        ".chart .grid{stroke:var(--line)}.chart .earlier{fill:var(--accent);fill-opacity:.22}"
        ".chart .label{font-size:12px}"
        ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;"
        "clip:rect(0 0 0 0);white-space:nowrap}"
    )
)

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
    "script-src 'self'; connect-src 'self'; "
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
    period: str | None = None  # the preset (period.PRESETS) when one was asked for
    compare: str | None = None  # "previous" or "year"
    earlier_first: date | None = None  # the comparison period
    earlier_last: date | None = None
    earlier_summary: Mapping[str, Any] | None = None
    earlier_chart: Sequence[tuple[str, int]] | None = None
    earlier_tables: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    notes: Mapping[str, str] = field(default_factory=dict)  # report: why it is not shown
    coverage: str | None = None  # what the filters could not cover
    live_script: str | None = None  # the live refresher's path, when the page shows live

    @property
    def base(self) -> str:
        return self.share_path or "/dashboard"

    def state(self, *, period: bool = True, compare: bool = True) -> list[tuple[str, str]]:
        """The query that keeps site, period, comparison and tab (filters apart)."""
        out = [] if self.share_path else [("site", str(self.site_id))]
        if period:
            if self.period:
                out.append(("period", self.period))
            else:
                out += [("from", self.first.isoformat()), ("to", self.last.isoformat())]
        if compare and self.compare:
            out.append(("compare", self.compare))
        if self.view != "visits":
            out.append(("view", self.view))
        return out

    def href(self, state: Sequence[tuple[str, str]], filters: Filters | None = None) -> str:
        query = [*state, *(self.filters if filters is None else filters).query()]
        return f"{self.base}?{urlencode(query)}" if query else self.base


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


def delta_text(key: str, now: Any, before: Any) -> tuple[str, str] | None:
    """(text, direction) of the change from `before` to `now`: absolute and in per cent
    (rates: in percentage points); None when either is missing."""
    if now is None or before is None:
        return None
    change = now - before
    direction = "up" if change > 0 else "down" if change < 0 else "same"
    sign = "+" if change > 0 else "\u2212" if change < 0 else "\u00b1"
    if key.endswith(("_rate", "_share")):
        return f"{sign}{abs(change):.1f} pp", direction
    size = format_duration(abs(change)) if key.endswith("_duration") else f"{abs(change):g}"
    pct = f" ({sign}{abs(change) / before * 100:.0f} %)" if before else ""
    return f"{sign}{size}{pct}", direction


def _delta(key: str, now: Any, before: Any, *, block: bool = True) -> str:
    found = delta_text(key, now, before)
    if found is None:
        return ""
    text, direction = found
    tag = "span"
    return (
        f'<{tag} class="delta {direction}" data-delta="{escape(str(now - before))}">'
        f'{escape(text)}<span class="visually-hidden"> vs. earlier</span></{tag}>'
        if block
        else f'<{tag} class="delta {direction}">{escape(text)}</{tag}>'
    )


def _numbers(
    summary: Mapping[str, Any],
    metrics: Sequence[tuple[str, str]],
    earlier: Mapping[str, Any] | None = None,
) -> str:
    items = []
    for key, name in metrics:
        value = summary.get(key)
        raw = "" if value is None else str(value)
        delta = _delta(key, value, earlier.get(key)) if earlier is not None else ""
        before = earlier.get(key) if earlier is not None else None
        title = f' title="earlier: {escape(format_value(key, before))}"' if earlier else ""
        items.append(
            f'<li data-metric="{key}" data-value="{escape(raw)}"{title}><span class="name">'
            f'{name}</span><span class="value">{escape(format_value(key, value))}</span>'
            f"{delta}</li>"
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


def _cell(report: str, key: str, value: Any, kind: str, link: tuple[str, str] | None = None) -> str:
    """A number stays whole on one line; a long text is cut with an ellipsis where the card
    is narrow, its whole value in the title (and in the text a screen reader reads).
    `link`: (href, title) of the filter the row's first cell adds."""
    text = format_value(key, value)
    if kind == "num":
        inner = escape(text)
    else:
        inner = escape(country_name(text) if report == "countries" and key == "country" else text)
    if link is not None:
        inner = f'<a href="{escape(link[0])}" title="{escape(link[1])}">{inner}</a>'
    if kind == "num":
        return f'<td class="num">{inner}</td>'
    return f'<td class="{kind}" title="{escape(text)}">{inner}</td>'


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


def _row_key(row: Mapping[str, Any], numeric: set[str]) -> tuple[Any, ...]:
    return tuple(v for k, v in row.items() if k not in numeric)


def _table(
    title: str,
    report: str,
    rows: Sequence[Mapping[str, Any]],
    view: DashboardView | None = None,
) -> str:
    href = _export_href(view, report) if view is not None else ""
    head = f'<section data-report="{escape(report)}">{_card_head(title, href)}'
    note = view.notes.get(report) if view is not None else None
    if note:
        return head + f'<p class="note" data-note>{escape(note)}</p></section>'
    if not rows:
        return head + '<p class="empty">Nothing in this period.</p></section>'
    if report in FACTS:
        return head + _facts(report, rows[0]) + "</section>"
    keys = [
        k
        for k in CARD_COLUMNS.get(report, rows[0])
        if k in rows[0]  # a filtered card's rows have fewer columns
        and (k not in MONEY or any(r[k] for r in rows))  # no revenue column of zeros
    ]
    kinds = _kinds(report, keys, rows)
    numeric = {k for k in rows[0] if any(isinstance(r[k], int | float) for r in rows)}
    numeric.discard("goal_id")
    earlier = view.earlier_tables.get(report) if view is not None and view.compare else None
    first_num = next((k for k in keys if k in numeric), None)
    before: dict[tuple[Any, ...], Any] = {}
    if earlier is not None and first_num is not None:
        before = {_row_key(r, numeric): r.get(first_num) for r in earlier}
    th = "".join(
        f'<th scope="col"{" class=num" if kinds[k] == "num" else ""}>'
        f"{escape(k.replace('_', ' '))}</th>"
        for k in keys
    )
    if earlier is not None and first_num is not None:
        th += f'<th scope="col" class="num">{escape(first_num.replace("_", " "))} change</th>'
    body = []
    for r in rows:
        link = row_filter(report, r) if view is not None else None
        cells = []
        for i, k in enumerate(keys):
            to: tuple[str, str] | None = None
            if i == 0 and link is not None and view is not None:
                chip = ", ".join(f"{BY_KEY[f].label} {v}" for f, v in link.items())
                to = (view.href(view.state(), view.filters.with_(**link)), f"Filter by {chip}")
            cells.append(_cell(report, k, r[k], kinds[k], to))
        if earlier is not None and first_num is not None:
            old = before.get(_row_key(r, numeric))
            shown = _delta(first_num, r[first_num], old, block=False) if old is not None else "new"
            cells.append(f'<td class="num">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'{head}<div class="scroll"><table><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
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


def _live(live: Mapping[str, Any] | None, src: str | None = None) -> str:
    """The last 30 minutes: counts and pages only. `src`: the live endpoint the refresher
    script (static, same origin) reads; without JavaScript the line is as rendered."""
    if live is None:
        return ""
    visitors = int(live["visitors"])
    pages = ", ".join(f"{escape(p['page'])} ({int(p['visitors'])})" for p in live["pages"][:5])
    data = f' data-live-src="{escape(src)}"' if src else ""
    return (
        f'<p class="live" data-live="{visitors}"{data} aria-live="polite"><strong>{visitors}'
        f"</strong> {'visitor' if visitors == 1 else 'visitors'} in the last "
        f'{int(live["minutes"])} minutes<span class="live-pages">'
        f"{': ' + pages if pages else ''}</span></p>"
    )


def _presets(view: DashboardView) -> str:
    """Links, not scripts: each preset is the same page over another period."""
    links = []
    for key, name in PRESETS:
        href = view.href([*view.state(period=False), ("period", key)])
        current = ' aria-current="page"' if key == view.period else ""
        links.append(f'<a href="{escape(href)}"{current}>{name}</a>')
    return f'<nav class="presets" aria-label="Period">{"".join(links)}</nav>'


def _chips(view: DashboardView) -> str:
    """The filters, each with a link that removes it (and one that removes them all)."""
    if not view.filters:
        return ""
    items = []
    for key, value in view.filters.values:
        href = view.href(view.state(), view.filters.without(key))
        label = BY_KEY[key].label
        shown = "(unknown)" if value == NONE else value
        items.append(
            f'<li data-filter="{escape(key)}">{escape(label)}: <strong>{escape(shown)}</strong>'
            f'<a href="{escape(href)}" aria-label="Remove filter {escape(label)} {escape(shown)}"'
            " data-remove>\u00d7</a></li>"
        )
    clear = view.href(view.state(), Filters())
    items.append(f'<li><a href="{escape(clear)}" data-clear>Clear all filters</a></li>')
    return f'<ul class="chips" aria-label="Filters">{"".join(items)}</ul>'


def _period_form(view: DashboardView) -> str:
    compare = "".join(
        f'<option value="{v}"{" selected" if v == (view.compare or "") else ""}>{n}</option>'
        for v, n in (("", "Nothing"), ("previous", "Previous period"), ("year", "A year before"))
    )
    kept = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in view.filters.values
    )
    period = (
        f'<label>From <input type="date" name="from" value="{view.first.isoformat()}"></label>'
        f'<label>To <input type="date" name="to" value="{view.last.isoformat()}"></label>'
        f'<label>Compare with <select name="compare">{compare}</select></label>'
        f'<input type="hidden" name="view" value="{escape(view.view)}">{kept}'
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
    for key, name in TABS:
        state = [(k, v) for k, v in view.state() if k != "view"]
        href = view.href(state + ([] if key == "visits" else [("view", key)]), Filters())
        current = ' aria-current="page"' if key == view.view else ""
        links.append(f'<a href="{escape(href)}"{current}>{name}</a>')
    return f'<nav class="tabs">{"".join(links)}</nav>'


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} {DASH} {last.isoformat()}"


def dashboard_page(view: DashboardView) -> str:
    site_name = dict(view.sites).get(view.site_id, str(view.site_id))
    period = _span(view.first, view.last)
    shown = (lambda card: True) if view.cards is None else view.cards.__contains__
    usage = view.view == "usage"
    unit = "requests" if usage else "visits"
    chart = bar_chart(view.chart, unit=unit, earlier=view.earlier_chart)
    tables = "".join(
        _table(title, report, rows, view) for title, report, rows in view.tables if shown(report)
    )
    metrics = USAGE_METRICS if usage else SUMMARY_METRICS
    series = "usage-over-time" if usage else "visits-over-time"
    by_hour = ("usage-by-hour" if usage else "visits-by-hour") if view.chart_unit == "hour" else ""
    chart_title = f"{unit.capitalize()} per {view.chart_unit} ({view.timezone})"
    tabs = _tabs(view) if view.cards is None else ""  # a share link: its cards only
    compared = ""
    if view.compare and view.earlier_first and view.earlier_last:
        span = _span(view.earlier_first, view.earlier_last)
        compared = f'<p class="note" data-compare>Compared with {span} (faint in the chart).</p>'

    coverage = (
        f'<p class="coverage" role="status" data-coverage>{escape(view.coverage)}</p>'
        if view.coverage
        else ""
    )
    script = (
        f'<script src="{escape(view.live_script)}" defer></script>'
        if view.live_script and view.live is not None
        else ""
    )
    body = (
        f"<header><h1>{escape(site_name)} · {escape(period)}</h1>{_period_form(view)}</header>"
        f"<main>{tabs}{_presets(view)}{_chips(view)}{coverage}{compared}"
        f"{_live(view.live, _live_src(view)) if shown('live') else ''}"
        f"{_numbers(view.summary, metrics, view.earlier_summary) if shown('summary') else ''}"
        + (
            f'<section data-report="{series}">'
            f"{_card_head(chart_title, _export_href(view, by_hour or series))}{chart}</section>"
            if shown("chart")
            else ""
        )
        + f'<div class="tables">{tables}</div></main>'
        + _exports(view, "usage-summary" if usage else "summary", shown)
        + script
    )
    return _document(f"collector: {site_name}, {period}", body)


def _live_src(view: DashboardView) -> str | None:
    """Where the refresher reads the live counts: the page itself with `live=1`."""
    if not view.live_script:
        return None
    return view.href([*view.state(period=False, compare=False), ("live", "1")], Filters())


def error_page(status_reason: str) -> str:
    return _document(
        "collector: error",
        f'<main class="login"><p class="error">{escape(status_reason)}</p>'
        '<p><a href="/dashboard">Back to the dashboard</a></p></main>',
    )

"""Reports are SQL files in `sql/reports/`, named after what they answer.

Every report takes the same parameters, by position: $1 site id, $2 first day, $3 last day
(inclusive), $4 row limit (only in reports that list rows), and $5 the one goal or custom
dimension to show (only in the reports of goals and dimensions; NULL: all of them). Names come
from the folder listing, so a name from a request can never point at another file.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from collector.reports.period import MAX_LIMIT, check_period
from collector.storage.db import sql_dir

_PARAM = re.compile(r"\$(\d+)")


def reports_dir() -> Path:
    return sql_dir() / "reports"


def report_names() -> list[str]:
    return sorted(p.stem for p in reports_dir().glob("*.sql"))


def takes_subject(name: str) -> bool:
    """Whether report `name` can be narrowed to one goal or dimension ($5)."""
    return "$5" in report_sql(name)


def report_sql(name: str) -> str:
    if name not in report_names():
        raise KeyError(name)
    return (reports_dir() / f"{name}.sql").read_text()


async def run_report(
    conn: asyncpg.Connection,
    name: str,
    site_id: int,
    first: date,
    last: date,
    limit: int = 100,
    subject: int | None = None,
) -> list[dict[str, Any]]:
    """The rows of report `name`; `subject`: a goal or dimension id for the reports that take
    one ($5), ignored by the others."""
    sql = report_sql(name)
    _check(first, last, limit)
    args: list[Any] = [site_id, first, last, limit, subject]
    used = max((int(n) for n in _PARAM.findall(sql)), default=0)
    rows = await conn.fetch(sql, *args[:used])
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


# The reports sql/dashboard/page-cards.sql answers in one pass, by its `card` number, and
# the columns each of them has, in its order.
PAGE_CARDS: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {
    1: ("pages", (("page", "page"), ("pageviews", "pageviews"), ("unique_pageviews", "visits"))),
    2: (
        "entry-pages",
        (
            ("page", "page"),
            ("entrances", "entries"),
            ("bounces", "bounces"),
            ("bounce_rate", "bounce_rate"),
            ("pageviews", "pageviews"),
        ),
    ),
    3: (
        "exit-pages",
        (
            ("page", "page"),
            ("exits", "exits"),
            ("pageviews", "pageviews"),
            ("exit_rate", "exit_rate"),
        ),
    ),
}

PAGE_CARD_NAMES = frozenset(name for name, _ in PAGE_CARDS.values())


async def run_page_cards(
    conn: asyncpg.Connection, site_id: int, first: date, last: date, limit: int = 100
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the pages, entry-pages and exit-pages reports, exactly as `run_report`
    gives them, from one pass over the period's page rows."""
    _check(first, last, limit)
    sql = (sql_dir() / "dashboard" / "page-cards.sql").read_text()
    out: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in PAGE_CARDS.values()}
    for row in await conn.fetch(sql, site_id, first, last, limit):
        name, columns = PAGE_CARDS[row["card"]]
        out[name].append({key: _plain(row[column]) for key, column in columns})
    return out


def _check(first: date, last: date, limit: int) -> None:
    check_period(first, last)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be an integer from 1 to {MAX_LIMIT}")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def format_rows(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()
    if not rows:
        return "(no rows)" if fmt == "table" else ""
    headers = list(rows[0])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    cells = [[("" if r[h] is None else str(r[h])) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])

"""Matomo's output formats for what a method answers: json, xml, csv and tsv.

Shapes as Matomo renders them: a table is a list of rows (`<result><row>…`), a simple table
one object (`<result><nb_visits>…`), an empty one `[]` (`<result />`), several periods a dict
keyed by period (`<results><result date="…">`; in CSV a first column `date`), a single value
`{"value": …}` (`<result>…</result>`). Errors: `{"result":"error","message":…}`,
`<result><error message="…" /></result>`, `Error: …` in CSV/TSV. CSV and TSV come, as in
Matomo, as UTF-16LE with a byte-order mark (for spreadsheets) unless `convertToUnicode=0`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

FORMATS = ("json", "xml", "csv", "tsv")
CONTENT_TYPES = {
    "json": "application/json",
    "xml": "text/xml",
    "csv": "application/vnd.ms-excel",
    "tsv": "application/vnd.ms-excel",
}


@dataclass(frozen=True, slots=True)
class Value:
    """A single value (API.getMatomoVersion)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Multi:
    """One result per period, keyed by Matomo's label for the period."""

    results: Mapping[str, Any]
    key: str = "date"


Result = list[dict[str, Any]] | dict[str, Any] | Value | Multi | None

# Characters XML 1.0 cannot hold at all, even escaped (a page title may carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A cell a spreadsheet would run as a formula (a visitor chose this page title): prefixed
# with ' as OWASP advises for CSV exports; Matomo's own exports do not do this.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def json_shape(result: Result) -> Any:
    if isinstance(result, Value):
        return {"value": result.value}
    if isinstance(result, Multi):
        return {k: json_shape(v) for k, v in result.results.items()}
    return [] if result is None else result


def render(result: Result, fmt: str, unicode: bool = True) -> tuple[bytes, str]:
    """(body, content type)."""
    if fmt == "json":
        return orjson.dumps(json_shape(result)), CONTENT_TYPES[fmt]
    if fmt == "xml":
        return _xml(result).encode(), CONTENT_TYPES[fmt]
    text = _csv(result, "," if fmt == "csv" else "\t")
    return _encode_table(text, unicode), CONTENT_TYPES[fmt]


def render_error(message: str, fmt: str, unicode: bool = True) -> tuple[bytes, str]:
    if fmt == "xml":
        body = (
            '<?xml version="1.0" encoding="utf-8" ?>\n'
            f"<result>\n\t<error message={quoteattr(message)} />\n</result>"
        )
        return body.encode(), CONTENT_TYPES["xml"]
    if fmt in ("csv", "tsv"):
        return _encode_table(f"Error: {message}", unicode), CONTENT_TYPES[fmt]
    return orjson.dumps({"result": "error", "message": message}), CONTENT_TYPES["json"]


def _encode_table(text: str, unicode: bool) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le") if unicode else text.encode()


# --- XML ----------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return escape(_NOT_XML.sub("", str(value)))


def _fields(row: Mapping[str, Any], depth: int) -> str:
    tab = "\t" * depth
    return "".join(f"{tab}<{k}>{_scalar(v)}</{k}>\n" for k, v in row.items())


def _xml_body(result: Result, depth: int) -> str:
    """The inside of a <result> element, or "" for an empty one."""
    tab = "\t" * depth
    if isinstance(result, list):
        return "".join(f"{tab}<row>\n{_fields(r, depth + 1)}{tab}</row>\n" for r in result)
    if isinstance(result, dict):
        return _fields(result, depth)
    return ""


def _xml(result: Result) -> str:
    head = '<?xml version="1.0" encoding="utf-8" ?>\n'
    if isinstance(result, Value):
        return f"{head}<result>{_scalar(result.value)}</result>"
    if isinstance(result, Multi):
        parts = []
        for label, each in result.results.items():
            inner = _xml_body(each, 2)
            attr = f"{result.key}={quoteattr(label)}"
            parts.append(
                f"\t<result {attr}>\n{inner}\t</result>\n" if inner else f"\t<result {attr} />\n"
            )
        return f"{head}<results>\n{''.join(parts)}</results>"
    inner = _xml_body(result, 1)
    return f"{head}<result>\n{inner}</result>" if inner else f"{head}<result />"


# --- CSV / TSV ----------------------------------------------------------------------------


def _cell(value: Any, separator: str) -> str:
    if isinstance(value, str):
        text = "'" + value if value.startswith(_FORMULA) else value
    else:
        text = "" if value is None else str(value)
    if any(c in text for c in ('"', separator, "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _rows(result: Result) -> list[dict[str, Any]]:
    if isinstance(result, list):
        return result
    if isinstance(result, dict):
        return [result]
    if isinstance(result, Value):
        return [{"value": result.value}]
    return []


def _csv(result: Result, sep: str) -> str:
    if isinstance(result, Multi):
        rows = [
            {result.key: label, **row}
            for label, each in result.results.items()
            for row in _rows(each)
        ]
    else:
        rows = _rows(result)
    if not rows:
        return "No data available"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = [sep.join(columns)]
    lines += [sep.join(_cell(row.get(c, ""), sep) for c in columns) for row in rows]
    return "\n".join(lines)

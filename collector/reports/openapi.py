"""`GET /api/openapi.json`: an OpenAPI 3.1 description of the collector's public HTTP surface.

Built from code (report names from `sql/reports/`, limits from `period`), so it cannot drift
from what the server accepts. Paths that other parts of the collector serve (`/tracker.js`,
`/optout`, `/optin`, `/privacy/me`, `/privacy/me/erase`) are described by their contract in
docs/design.md; their owners refine the details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from aiohttp import web

from collector import __version__
from collector.reports.export import CARDS
from collector.reports.period import DEFAULT_LIMIT, MAX_LIMIT
from collector.reports.runner import report_names
from collector.tracking.goals import MATCHES, PATTERN_TYPES
from collector.tracking.params import LIMITS

JSON = "application/json"
TEXT = {"text/plain": {"schema": {"type": "string"}}}
HTML = {"text/html": {"schema": {"type": "string"}}}


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": TEXT}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


_TRACKING_PARAMS: list[tuple[str, str, dict[str, Any]]] = [
    ("idsite", "site id", {"type": "string", "pattern": "^[0-9]{1,9}$"}),
    ("rec", "must be 1", {"type": "string", "enum": ["1"]}),
    ("url", "page URL, on one of the site's domains", {"type": "string", "format": "uri"}),
    ("action_name", f"page title (cut to {LIMITS['text']} characters)", {"type": "string"}),
    ("urlref", "referrer: any absolute URI (android-app://… too)", {"type": "string"}),
    ("res", "screen resolution, WxH", {"type": "string", "pattern": "^[0-9]{1,5}x[0-9]{1,5}$"}),
    ("lang", "language tag", {"type": "string", "maxLength": 35}),
    ("pv_id", "pageview id", {"type": "string", "maxLength": 16}),
    ("new_visit", "1 starts a new visit", {"type": "string", "enum": ["0", "1"]}),
    ("download", "download target URL", {"type": "string", "format": "uri"}),
    ("link", "outlink target URL", {"type": "string", "format": "uri"}),
    ("search", "site search keyword", {"type": "string"}),
    ("search_cat", f"site search category (cut to {LIMITS['short']})", {"type": "string"}),
    ("search_count", "site search result count", {"type": "number"}),
    ("e_c", "event category", {"type": "string"}),
    ("e_a", "event action", {"type": "string"}),
    ("e_n", "event name", {"type": "string"}),
    ("e_v", "event value", {"type": "number"}),
    ("ping", "1: heartbeat, extends the visit", {"type": "string", "enum": ["0", "1"]}),
    ("cdt", "hit time (Unix or 'YYYY-MM-DD HH:MM:SS' UTC)", {"type": "string"}),
    ("token_auth", "needed for cdt older than 24 hours", {"type": "string"}),
    (
        "idgoal",
        "N: converts goal N; 0: an ecommerce order (with ec_id) or cart",
        {"type": "string"},
    ),
    ("revenue", "goal revenue, or an order's grand total", {"type": "number"}),
    ("ec_id", "order number: tells an order from a cart update; never stored", {"type": "string"}),
    ("ec_items", "JSON [[sku, name, category, price, quantity], …]", {"type": "string"}),
    ("ec_st", "order subtotal", {"type": "number"}),
    ("ec_tx", "order tax", {"type": "number"}),
    ("ec_sh", "order shipping", {"type": "number"}),
    ("ec_dt", "order discount", {"type": "number"}),
    ("c_n", "content name (impression; with c_i an interaction)", {"type": "string"}),
    ("c_p", "content piece", {"type": "string"}),
    ("c_t", "content target", {"type": "string"}),
    ("c_i", "content interaction", {"type": "string"}),
    ("ca", "1: not a pageview", {"type": "string"}),
    *(
        (name, f"page performance: {what}, ms", {"type": "integer"})
        for name, what in (
            ("pf_net", "network"),
            ("pf_srv", "server"),
            ("pf_tfr", "transfer"),
            ("pf_dm1", "DOM processing"),
            ("pf_dm2", "DOM completion"),
            ("pf_onl", "onload"),
        )
    ),
    ("send_image", "0: answer 204 instead of a GIF", {"type": "string", "enum": ["0", "1"]}),
    ("ua", "user agent override", {"type": "string"}),
]


def _tracking_get() -> dict[str, Any]:
    return {
        "summary": "Track one action (Matomo tracking API, query string)",
        "description": (
            "Kept only with an opt-in cookie (collector_consent or mtm_consent); otherwise "
            "the same answer and nothing is stored. Unknown parameters are ignored."
        ),
        "tags": ["tracking"],
        "parameters": [
            _query(name, doc, schema, name in ("idsite", "rec", "url"))
            for name, doc, schema in _TRACKING_PARAMS
        ],
        "responses": _tracking_responses(),
    }


def _tracking_responses() -> dict[str, Any]:
    return {
        "200": {
            "description": "1x1 GIF (or bulk result as JSON)",
            "content": {
                "image/gif": {"schema": {"type": "string", "contentMediaType": "image/gif"}},
                JSON: {"schema": _ref("BulkResult")},
            },
        },
        "204": {"description": "accepted, send_image=0"},
        "400": _text("bad input, with a short reason; nothing stored"),
        "403": _text("cdt older than 24 hours without a valid token_auth"),
        "413": _text("body or bulk too large"),
        "414": _text("query string too long"),
        "503": _text("queue full; retry after Retry-After seconds"),
    }


def _tracking_post() -> dict[str, Any]:
    form = {"type": "object", "properties": {n: s for n, _, s in _TRACKING_PARAMS}}
    return {
        "summary": "Track actions: form-encoded parameters, or Matomo's bulk JSON",
        "tags": ["tracking"],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form},
                JSON: {"schema": _ref("BulkRequest")},
            },
        },
        "responses": _tracking_responses(),
    }


def _preflight() -> dict[str, Any]:
    return {
        "summary": "CORS preflight: credentials allowed only for a site's own origins",
        "tags": ["tracking"],
        "responses": {"204": {"description": "CORS headers for a site's origin, else none"}},
    }


def _reports_get(names: Sequence[str]) -> dict[str, Any]:
    day = {"type": "string", "format": "date"}
    return {
        "summary": "Run a report over one site and period",
        "description": "Days are the site's local days (its time zone); `to` is inclusive; "
        "dates from 2000-01-01 to 2199-12-31. Default: the retention period up to today.",
        "tags": ["reports"],
        "security": [{"bearer": []}],
        "parameters": [
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": list(names)},
            },
            _query("site", "site id", {"type": "integer", "minimum": 1}, required=True),
            _query("from", "first day, YYYY-MM-DD", day),
            _query("to", "last day (inclusive), YYYY-MM-DD", day),
            _query(
                "limit",
                "most rows",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            ),
            _query("goal", "one goal (the goal reports)", {"type": "integer", "minimum": 1}),
            _query(
                "dimension", "one custom dimension (dimensions)", {"type": "integer", "minimum": 1}
            ),
        ],
        "responses": {
            "200": _json("the report", _ref("Report")),
            "400": _json("bad parameter; the reason names it", _ref("Error")),
            "401": _json("missing or wrong bearer token", _ref("Error")),
            "404": _json("unknown report or site, or the API is disabled", _ref("Error")),
            "503": _json("took longer than COLLECTOR_REPORT_TIMEOUT_MS; retry", _ref("Error")),
        },
    }


def _live_get() -> dict[str, Any]:
    counts = {"type": "integer", "minimum": 0}
    live = {
        "type": "object",
        "required": ["site", "minutes", "visitors", "pageviews", "actions", "pages"],
        "properties": {
            "site": {"type": "integer"},
            "minutes": counts,
            "visitors": counts,
            "pageviews": counts,
            "actions": counts,
            "pages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["page", "visitors"],
                    "properties": {"page": {"type": "string"}, "visitors": counts},
                },
            },
        },
    }
    return {
        "summary": "Visitors of the last 30 minutes and the pages they are on (no identifiers)",
        "tags": ["reports"],
        "security": [{"bearer": []}],
        "parameters": [_query("site", "site id", {"type": "integer", "minimum": 1}, required=True)],
        "responses": {
            "200": _json("counts of the last 30 minutes", live),
            "400": _json("bad parameter; the reason names it", _ref("Error")),
            "401": _json("missing or wrong bearer token", _ref("Error")),
            "404": _json("unknown site, or the API is disabled", _ref("Error")),
            "503": _json("took longer than COLLECTOR_REPORT_TIMEOUT_MS; retry", _ref("Error")),
        },
    }


_API_ERRORS = {
    "400": _json("bad parameter; the reason names it", _ref("Error")),
    "401": _json("missing or wrong bearer token", _ref("Error")),
    "404": _json("unknown site, or the API is disabled", _ref("Error")),
}


def _definitions_get(what: str) -> dict[str, Any]:
    return {
        "summary": f"The site's {what}",
        "tags": ["definitions"],
        "security": [{"bearer": []}],
        "parameters": [_query("site", "site id", {"type": "integer", "minimum": 1}, required=True)],
        "responses": {
            "200": _json(
                what,
                {
                    "type": "object",
                    "required": ["site", what],
                    "properties": {
                        "site": {"type": "integer"},
                        what: {"type": "array", "items": {"type": "object"}},
                    },
                },
            ),
            **_API_ERRORS,
        },
    }


def _definition_post(summary: str, body: dict[str, Any], answer: dict[str, Any]) -> dict:
    return {
        "summary": summary,
        "tags": ["definitions"],
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
        "responses": {"201": _json("added", answer), **_API_ERRORS},
    }


def _goal_post() -> dict[str, Any]:
    body = {
        "type": "object",
        "required": ["site", "name", "match"],
        "properties": {
            "site": {"type": "integer", "minimum": 1},
            "name": {"type": "string"},
            "match": {"type": "string", "enum": list(MATCHES)},
            "pattern": {"type": "string"},
            "pattern_type": {"type": "string", "enum": list(PATTERN_TYPES)},
            "case_sensitive": {"type": "boolean"},
            "revenue": {"type": "number"},
            "allow_multiple": {"type": "boolean"},
            "event_value_as_revenue": {"type": "boolean"},
        },
    }
    answer = {"type": "object", "properties": {"goal_id": {"type": "integer"}}}
    return _definition_post("Add a goal (matched from now on)", body, answer)


def _dimension_post() -> dict[str, Any]:
    body = {
        "type": "object",
        "required": ["site", "name", "scope"],
        "properties": {
            "site": {"type": "integer", "minimum": 1},
            "name": {"type": "string"},
            "scope": {"type": "string", "enum": ["visit", "action"]},
        },
    }
    answer = {
        "type": "object",
        "properties": {"dimension_id": {"type": "integer"}, "parameter": {"type": "string"}},
    }
    return _definition_post("Declare a custom dimension (dimensionN)", body, answer)


def _definition_delete(what: str) -> dict[str, Any]:
    return {
        "summary": f"Delete a {what} (past reports keep it)",
        "tags": ["definitions"],
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": _json("deleted", {"type": "object"}),
            "400": _json("bad id", _ref("Error")),
            "401": _json("missing or wrong bearer token", _ref("Error")),
            "404": _json(f"unknown {what}, or the API is disabled", _ref("Error")),
        },
    }


def _erase_form() -> dict[str, Any]:
    text = {"type": "string"}
    fields = {"lang": text, "embed": text, "idsite": text, "return_to": text, "back": text}
    return {
        "summary": "Erase what the session cookie links, from the opt-out page's plain form",
        "description": "Same-site only. Answers 303 to the opt-out page, which says how many "
        "rows were erased (`?erased=N`), keeping its language, site and back link.",
        "tags": ["privacy"],
        "requestBody": {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": fields}
                }
            },
        },
        "responses": {
            "303": {"description": "erased: back to the opt-out page"},
            "400": _text("the body is not a form or JSON object"),
            "403": _text("cross-site request refused"),
        },
    }


def _export_get(summary: str, parameters: list[dict[str, Any]], form: str) -> dict[str, Any]:
    csv = {"text/csv": {"schema": {"type": "string"}}}
    ok: dict[str, Any] = {"description": "UTF-8 CSV: a header line, a line per row", "content": csv}
    if form:  # the same URL without a session answers with the login form
        ok["content"] = {**csv, **HTML}
        ok["description"] += f"; or {form}"
    card = {"type": "string", "enum": list(CARDS)}
    return {
        "get": {
            "summary": summary,
            "tags": ["reports"],
            "parameters": [
                *parameters,
                {"name": "card", "in": "path", "required": True, "schema": card},
                _query("from", "first day", {"type": "string", "format": "date"}),
                _query("to", "last day", {"type": "string", "format": "date"}),
                _query("limit", "rows", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            ],
            "responses": {
                "200": ok,
                "400": {"description": "bad parameter", "content": HTML},
                "403": {"description": "a card the share link does not show", "content": HTML},
                "404": {
                    "description": "unknown card, site or link; or no dashboard",
                    "content": HTML,
                },
                "503": {"description": "the report took too long", "content": HTML},
            },
        }
    }


def _page(summary: str, tag: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "tags": [tag], "responses": responses}


def _components() -> dict[str, Any]:
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
            "Report": {
                "type": "object",
                "required": ["report", "site", "from", "to", "rows"],
                "properties": {
                    "report": {"type": "string"},
                    "site": {"type": "integer"},
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": {"type": ["string", "number", "null"]},
                        },
                    },
                },
            },
            "BulkRequest": {
                "type": "object",
                "required": ["requests"],
                "properties": {
                    "requests": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "oneOf": [
                                {"type": "string", "description": "?idsite=…&rec=1&url=…"},
                                {"type": "object", "description": "the parameters as an object"},
                            ]
                        },
                    },
                    "token_auth": {"type": "string"},
                },
            },
            "BulkResult": {
                "type": "object",
                "properties": {
                    "status": {"type": "string"},
                    "tracked": {"type": "integer"},
                    "invalid": {"type": "integer"},
                    "invalid_indices": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "only with the bulk's token_auth",
                    },
                },
            },
        },
    }


def dashboard_parameters() -> list[dict[str, Any]]:
    """The dashboard's state in its URL (README "Dashboard"): period, comparison, filters."""
    from collector.reports.filters import CHANNELS, DIMENSIONS, MAX_VALUE
    from collector.reports.period import COMPARISONS, PRESETS

    text = {"type": "string", "maxLength": MAX_VALUE}
    filters = [
        _query(
            d.key,
            f"filter: {d.label.lower()}" + (" (a thing the visit did)" if d.did else ""),
            {"type": "string", "enum": list(CHANNELS)}
            if d.key == "channel"
            else {"type": "string", "pattern": "^[0-9]{1,9}$"}
            if d.key == "goal"
            else text,
        )
        for d in DIMENSIONS
    ]
    return [
        _query(
            "period",
            "a preset, instead of from/to",
            {"type": "string", "enum": [p for p, _ in PRESETS]},
        ),
        _query(
            "compare",
            "the earlier period to compare with",
            {"type": "string", "enum": list(COMPARISONS)},
        ),
        *filters,
        _query("live", "1: the live line's numbers as JSON", {"type": "string", "enum": ["1"]}),
    ]


def openapi_document(names: Sequence[str]) -> dict[str, Any]:
    # Imported here: these modules import the report modules that import this one.
    from collector.access.openapi import access_paths, login_path
    from collector.matomo.openapi import matomo_path
    from collector.reports.dashboard import TABLES

    html_ok = {"description": "HTML page", "content": HTML}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "collector",
            "version": __version__,
            "description": "Privacy-first, consent-gated web analytics collector speaking "
            "Matomo's tracking API.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": {
            "/matomo.php": {
                "get": _tracking_get(),
                "post": _tracking_post(),
                "options": _preflight(),
            },
            "/piwik.php": {
                "get": _tracking_get(),
                "post": _tracking_post(),
                "options": _preflight(),
            },
            "/tracker.js": {
                "get": {
                    "summary": "The collector's own first-party tracker",
                    "tags": ["tracking"],
                    "responses": {
                        "200": {
                            "description": "JavaScript",
                            "content": {"text/javascript": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/optout": {
                "options": _page(
                    "CORS preflight for a banner on a site's own origin",
                    "privacy",
                    {
                        "204": {"description": "CORS headers for the site's origin"},
                        "403": _text("the origin is not a configured site"),
                    },
                ),
                "get": _page(
                    "Opt-out page: current state and a switch", "privacy", {"200": html_ok}
                ),
                "post": _page(
                    "Withdraw consent (never refused for the receipt limit: applied unrecorded)",
                    "privacy",
                    {
                        "200": html_ok,
                        "303": {"description": "back to the opt-out page or return_to"},
                        "400": _text("return_to is not on a configured site"),
                        "403": _text("cross-site request refused, or the browser says cross-site"),
                    },
                ),
            },
            "/optin": {
                "options": _page(
                    "CORS preflight for a banner on a site's own origin",
                    "privacy",
                    {
                        "204": {"description": "CORS headers for the site's origin"},
                        "403": _text("the origin is not a configured site"),
                    },
                ),
                "post": _page(
                    "Give consent",
                    "privacy",
                    {
                        "200": html_ok,
                        "303": {"description": "back to the opt-out page or return_to"},
                        "400": _text("return_to is not on a configured site"),
                        "403": _text("cross-site request refused, or the browser says cross-site"),
                        "429": _text("over the receipt limit; retry after Retry-After seconds"),
                    },
                ),
            },
            "/privacy/me": {
                "options": _page(
                    "CORS preflight for a banner on a site's own origin",
                    "privacy",
                    {
                        "204": {"description": "CORS headers for the site's origin"},
                        "403": _text("the origin is not a configured site"),
                    },
                ),
                "get": _page(
                    "Export what the session cookie links (JSON)",
                    "privacy",
                    {"200": _json("the data", {"type": "object"})},
                ),
                "delete": _page(
                    "Erase what the session cookie links",
                    "privacy",
                    {
                        "200": _json("what was erased", {"type": "object"}),
                        "204": {"description": "erased"},
                        "403": _text("cross-site request refused"),
                    },
                ),
            },
            "/privacy/me/erase": {"post": _erase_form()},
            "/api/reports": {
                "get": {
                    "summary": "The names of the reports",
                    "tags": ["reports"],
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _json(
                            "report names",
                            {
                                "type": "object",
                                "properties": {
                                    "reports": {"type": "array", "items": {"type": "string"}}
                                },
                            },
                        ),
                        "401": _json("missing or wrong bearer token", _ref("Error")),
                        "404": _json("the API is disabled", _ref("Error")),
                    },
                }
            },
            "/api/reports/{name}": {"get": _reports_get(names)},
            "/api/live": {"get": _live_get()},
            "/api/goals": {"get": _definitions_get("goals"), "post": _goal_post()},
            "/api/goals/{id}": {"delete": _definition_delete("goal")},
            "/api/dimensions": {
                "get": _definitions_get("dimensions"),
                "post": _dimension_post(),
            },
            "/api/dimensions/{id}": {"delete": _definition_delete("dimension")},
            "/api/openapi.json": {
                "get": _page(
                    "This description", "meta", {"200": _json("OpenAPI 3.1", {"type": "object"})}
                )
            },
            "/dashboard": {
                "get": {
                    "summary": "Dashboard of one site and period, or the login form",
                    "tags": ["reports"],
                    "parameters": [
                        _query("site", "site id", {"type": "integer", "minimum": 1}),
                        _query("from", "first day", {"type": "string", "format": "date"}),
                        _query("to", "last day", {"type": "string", "format": "date"}),
                        _query(
                            "view",
                            "tab: visits (analytics) or usage (the web server's access log)",
                            {"type": "string", "enum": ["visits", "usage"]},
                        ),
                        *dashboard_parameters(),
                    ],
                    "responses": {
                        "200": html_ok,
                        "400": {"description": "bad parameter", "content": HTML},
                        "404": _text("dashboard disabled: no COLLECTOR_API_TOKEN"),
                    },
                }
            },
            "/dashboard/export/{card}.csv": _export_get(
                "One card of the dashboard, or the site's open data (daily totals), as CSV",
                [_query("site", "site id", {"type": "integer", "minimum": 1})],
                "the login form (no session)",
            ),
            "/share/{token}/export/{card}.csv": _export_get(
                "A card a share link shows, or its site's open data, as CSV",
                [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "",
            ),
            "/dashboard/live.{hash}.js": {
                "get": {
                    "summary": "The dashboard's live refresher script (its content's hash)",
                    "tags": ["reports"],
                    "parameters": [
                        {
                            "name": "hash",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "JavaScript",
                            "content": {"text/javascript": {"schema": {"type": "string"}}},
                        },
                        "404": _text("another hash: not this collector's script"),
                    },
                }
            },
            "/dashboard/login": login_path(),
            "/dashboard/logout": {
                "post": _page(
                    "Log out",
                    "reports",
                    {
                        "303": {"description": "to the login form"},
                        "404": _text("dashboard disabled: no COLLECTOR_API_TOKEN"),
                    },
                )
            },
            **access_paths([name for _, name in TABLES]),
            "/index.php": matomo_path(),
            "/healthz": {
                "get": _page("Liveness", "meta", {"200": _json("alive", {"type": "object"})})
            },
            "/readyz": {
                "get": _page(
                    "Readiness: the database answers",
                    "meta",
                    {
                        "200": _json("ready", {"type": "object"}),
                        "503": _json("the database is unreachable or slow", {"type": "object"}),
                    },
                )
            },
            "/metrics": {
                "get": _page("Prometheus text metrics", "meta", {"200": _text("metrics")})
            },
        },
        "components": _components(),
    }


async def openapi(request: web.Request) -> web.Response:
    body = orjson.dumps(openapi_document(report_names()))
    return web.Response(body=body, content_type="application/json")

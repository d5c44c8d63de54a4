"""The OpenAPI path of the Matomo Reporting API subset (its own answer shapes are Matomo's)."""

from __future__ import annotations

from typing import Any

from collector.matomo.methods import METHODS
from collector.matomo.periods import PERIODS
from collector.matomo.render import FORMATS

EXTRA_METHODS = [
    "API.getMatomoVersion",
    "API.getBulkRequest",
    "SitesManager.getSitesWithAtLeastViewAccess",
    "Live.getCounters",
]


def _param(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def matomo_path() -> dict[str, Any]:
    text = {"type": "string"}
    params = [
        _param("module", "must be API", {"type": "string", "enum": ["API"]}, required=True),
        _param("method", "Module.method", {"type": "string", "enum": [*METHODS, *EXTRA_METHODS]}),
        _param("idSite", "one site id", {"type": "integer", "minimum": 1}),
        _param("period", "period", {"type": "string", "enum": list(PERIODS)}),
        _param("date", "today, yesterday, lastN, previousN, YYYY-MM-DD or A,B", text),
        _param("format", "output format (default xml)", {"type": "string", "enum": list(FORMATS)}),
        _param("filter_limit", "rows; -1 for all (at most 1000)", {"type": "integer"}),
        _param("filter_offset", "rows to skip", {"type": "integer", "minimum": 0}),
        _param("token_auth", "a user's API token or COLLECTOR_API_TOKEN", text),
    ]
    any_body = {
        "application/json": {"schema": {}},
        "text/xml": {"schema": {"type": "string"}},
        "application/vnd.ms-excel": {"schema": {"type": "string"}},
    }
    operation = {
        "summary": "Matomo Reporting API subset (answers and errors in Matomo's shapes)",
        "tags": ["matomo"],
        "parameters": params,
        "responses": {
            "200": {"description": "the result, or Matomo's error object", "content": any_body},
            "400": {"description": "module is not API", "content": any_body},
            "404": {"description": "disabled: no COLLECTOR_API_TOKEN", "content": any_body},
        },
    }
    form = {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "additionalProperties": {"type": "string"}}
        }
    }
    return {"get": operation, "post": {**operation, "requestBody": {"content": form}}}

"""The OpenAPI paths of access control: share links (view and admin API) and the login."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
HTML = {"text/html": {"schema": {"type": "string"}}}
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


SITE = {
    "name": "site",
    "in": "path",
    "required": True,
    "description": "site id",
    "schema": {"type": "integer", "minimum": 1},
}
REFUSALS = {
    "400": _json("bad parameter; the reason names it", ERROR),
    "401": _json("missing or wrong bearer token", ERROR),
    "403": _json("the caller views the site but is not its admin", ERROR),
    "404": _json("unknown site (or one the caller may not see), or the API is disabled", ERROR),
}
SHARE = {
    "type": "object",
    "required": ["id", "site", "cards", "created_at", "revoked_at"],
    "properties": {
        "id": {"type": "integer"},
        "site": {"type": "integer"},
        "cards": {"type": ["array", "null"], "items": {"type": "string"}},
        "created_at": {"type": "string"},
        "revoked_at": {"type": ["string", "null"]},
    },
}


def access_paths(cards: list[str]) -> dict[str, Any]:
    from collector.reports.openapi import dashboard_parameters  # it imports this module

    admin = {"tags": ["access"], "security": [{"bearer": []}]}
    return {
        "/api/sites/{site}/shares": {
            "get": {
                **admin,
                "summary": "A site's share links (site admins and the superuser)",
                "parameters": [SITE],
                "responses": {
                    "200": _json(
                        "the links (never their tokens)",
                        {
                            "type": "object",
                            "properties": {
                                "site": {"type": "integer"},
                                "shares": {"type": "array", "items": SHARE},
                            },
                        },
                    ),
                    **REFUSALS,
                },
            },
            "post": {
                **admin,
                "summary": "Make a read-only share link; its path is shown only in this answer",
                "parameters": [SITE],
                "requestBody": {
                    "required": False,
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "cards": {
                                        "type": "array",
                                        "items": {"type": "string", "enum": cards},
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        "the new link",
                        {
                            "type": "object",
                            "required": ["id", "site", "path"],
                            "properties": {
                                "id": {"type": "integer"},
                                "site": {"type": "integer"},
                                "path": {"type": "string"},
                            },
                        },
                    ),
                    **REFUSALS,
                },
            },
        },
        "/api/sites/{site}/shares/{share_id}": {
            "delete": {
                **admin,
                "summary": "Revoke a share link of the site; it then answers 404",
                "parameters": [
                    SITE,
                    {
                        "name": "share_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "responses": {"204": {"description": "revoked"}, **REFUSALS},
            }
        },
        "/share/{token}": {
            "get": {
                "summary": "A share link's read-only view of its site's dashboard",
                "tags": ["access"],
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                    *dashboard_parameters(),
                ],
                "responses": {
                    "200": {"description": "HTML page", "content": HTML},
                    "400": {"description": "bad period or filter", "content": HTML},
                    "403": {
                        "description": "a filter by a card the link does not show",
                        "content": HTML,
                    },
                    "404": {"description": "unknown or revoked link", "content": HTML},
                },
            }
        },
    }


def login_path() -> dict[str, Any]:
    return {
        "post": {
            "summary": "Log in: a user's name and password, or an empty name and the API token",
            "tags": ["access"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "csrf": {"type": "string"},
                                "name": {"type": "string"},
                                "password": {"type": "string"},
                            },
                            "required": ["csrf", "password"],
                        }
                    }
                },
            },
            "responses": {
                "303": {"description": "logged in: to the dashboard"},
                "400": {"description": "the body is not a form", "content": HTML},
                "401": {"description": "wrong name or password: the form again", "content": HTML},
                "403": {
                    "description": "CSRF value missing or wrong, or cross-site",
                    "content": HTML,
                },
                "404": {"description": "dashboard disabled: no COLLECTOR_API_TOKEN"},
                "429": {"description": "too many failed logins from this network", "content": HTML},
            },
        }
    }

"""GET /api/reports/{name} and /api/openapi.json over a real socket, on the fixed hit set."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import orjson
import pytest
from openapi_spec_validator import validate

from collector.reports.runner import report_names, run_report
from tests.reports.conftest import Seeded
from tests.reports.test_reports import REPORTS
from tests.support import dump_database, request, running_app, settings_for

AUTH = {"Authorization": "Bearer test-token"}


async def api(
    seeded: Seeded, path: str, params: dict[str, Any] | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], Any]:
    query = "?" + urlencode(params) if params is not None else ""
    status, hdrs, body = await request(
        "GET", seeded.server.base + path + query, headers=AUTH if headers is None else headers
    )
    return status, hdrs, orjson.loads(body) if body else None


def period(seeded: Seeded, **extra: Any) -> dict[str, Any]:
    return {"site": seeded.site, "from": seeded.d1.isoformat(), "to": seeded.d2.isoformat()} | extra


async def test_summary_over_the_api_has_the_known_numbers(seeded: Seeded) -> None:
    status, headers, body = await api(seeded, "/api/reports/summary", period(seeded))
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Cache-Control"] == "no-store"
    assert body["report"] == "summary" and body["site"] == seeded.site
    assert (body["from"], body["to"]) == (seeded.d1.isoformat(), seeded.d2.isoformat())
    assert body["rows"][0]["visits"] == 5 and body["rows"][0]["bounce_rate"] == 40.0


@pytest.mark.parametrize("name", REPORTS)
async def test_every_report_over_the_api_equals_the_sql_report(seeded: Seeded, name: str) -> None:
    _, _, body = await api(seeded, f"/api/reports/{name}", period(seeded, limit=5))
    async with seeded.server.pool.acquire() as conn:
        expected = await run_report(conn, name, seeded.site, seeded.d1, seeded.d2, 5)
    assert body["rows"] == orjson.loads(orjson.dumps(expected))
    assert body["rows"] != []


async def test_without_from_and_to_the_period_is_the_retention_period(seeded: Seeded) -> None:
    # The clock stands at noon the day after D3: seven days back from it include D1..D3.
    _, _, body = await api(seeded, "/api/reports/summary", {"site": seeded.site})
    assert body["rows"][0]["visits"] == 6
    assert body["to"] == seeded.server.clock.now.date().isoformat()


async def test_report_list_names_every_report(seeded: Seeded) -> None:
    status, _, body = await api(seeded, "/api/reports")
    assert (status, body) == (200, {"reports": REPORTS})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer test-token-and-more"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dGVzdC10b2tlbg=="},
        {"Authorization": "test-token"},
    ],
)
async def test_without_the_right_bearer_token_the_answer_is_401(
    seeded: Seeded, headers: dict[str, str]
) -> None:
    for path in ("/api/reports/summary", "/api/reports", "/api/reports/no-such-report"):
        status, hdrs, body = await api(seeded, path, period(seeded), headers=headers)
        assert status == 401, path
        assert hdrs["WWW-Authenticate"].startswith("Bearer")
        assert "rows" not in body


async def test_bearer_scheme_is_case_insensitive(seeded: Seeded) -> None:
    headers = {"Authorization": "bearer test-token"}
    status, _, _ = await api(seeded, "/api/reports/summary", period(seeded), headers=headers)
    assert status == 200


async def test_unknown_report_and_unknown_site_are_404(seeded: Seeded) -> None:
    status, _, body = await api(seeded, "/api/reports/bounces", period(seeded))
    assert (status, body["error"].split(";")[0]) == (404, "unknown report")
    status, _, body = await api(seeded, "/api/reports/summary", period(seeded, site=987654))
    assert (status, body) == (404, {"error": "unknown site"})


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "20240101"}, "from"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "from"),
        ({"from": "2000-01-01", "to": "2024-01-01"}, "at most"),
        ({"site": ""}, "site"),
        ({"site": "0"}, "site"),
        ({"site": "-1"}, "site"),
        ({"site": "1.5"}, "site"),
        ({"site": "\u0661"}, "site"),  # an Arabic-Indic digit: isdigit() says yes, int() too
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    seeded: Seeded, params: dict[str, str], names: str
) -> None:
    status, _, body = await api(seeded, "/api/reports/pages", period(seeded) | params)
    assert status == 400
    assert names in body["error"]


async def test_without_a_configured_token_the_api_and_dashboard_do_not_exist(
    database_url: str,
) -> None:
    async with running_app(settings_for(database_url, api_token=None)) as server:
        for path in ("/api/reports/summary?site=1", "/api/reports", "/dashboard"):
            status, _, body = await request("GET", server.base + path, headers=AUTH)
            assert status == 404, path
            assert b"COLLECTOR_API_TOKEN" in body
        status, _, _ = await request(
            "POST", server.base + "/dashboard/login", data={"token": ""}, headers=AUTH
        )
        assert status == 404


INJECTIONS = [
    "1; DROP TABLE hits; --",
    "1' OR '1'='1",
    "2024-01-01'); DELETE FROM hits; --",
    "1 UNION SELECT * FROM sites",
    "$1",
    "../migrations/001_core",
    "summary.sql",
    "summary;select pg_sleep(1)",
    "%00",
    "\\' ; TRUNCATE sites; --",
]


async def test_sql_injection_in_every_parameter_is_refused_and_harmless(seeded: Seeded) -> None:
    before = await dump_database(seeded.server.pool)
    answers = set()
    for attack in INJECTIONS:
        for key in ("site", "from", "to", "limit"):
            status, _, _ = await api(seeded, "/api/reports/summary", period(seeded) | {key: attack})
            answers.add(status)
        name = quote(attack, safe="")
        status, _, _ = await api(seeded, f"/api/reports/{name}", period(seeded))
        answers.add(status)
        status, _, _ = await api(
            seeded, "/api/reports/summary", period(seeded), {"Authorization": f"Bearer {attack}"}
        )
        answers.add(status)
    assert answers <= {400, 401, 404}
    assert await dump_database(seeded.server.pool) == before
    _, _, body = await api(seeded, "/api/reports/summary", period(seeded))
    assert body["rows"][0]["visits"] == 5


async def test_openapi_document_is_valid_openapi_3_1_and_names_the_public_surface(
    seeded: Seeded,
) -> None:
    status, _, doc = await api(seeded, "/api/openapi.json", headers={})
    assert status == 200  # public: it describes, it reveals no data
    validate(doc)  # raises on an invalid document
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for path in (
        "/matomo.php",
        "/piwik.php",
        "/healthz",
        "/metrics",
        "/api/reports/{name}",
        "/tracker.js",
        "/optout",
        "/optin",
        "/privacy/me",
        "/dashboard",
    ):
        assert path in paths, path
    assert set(paths["/matomo.php"]) == {"get", "post", "options"}
    assert set(paths["/privacy/me"]) == {"get", "delete", "options"}
    [name_param] = [
        p for p in paths["/api/reports/{name}"]["get"]["parameters"] if p["in"] == "path"
    ]
    assert name_param["schema"]["enum"] == report_names()


async def test_every_served_route_is_in_the_openapi_document(seeded: Seeded) -> None:
    _, _, doc = await api(seeded, "/api/openapi.json", headers={})
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in seeded.server.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    described = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served - described == set()

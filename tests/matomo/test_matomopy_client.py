"""A real Matomo Reporting API client from PyPI, `matomopy` (MatomoClient), reads the
collector's `/index.php` unchanged: base URL, token, method names and answers as for Matomo.
It is synchronous (requests), so it runs in a thread while the app serves on this loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from matomopy import MatomoClient
from matomopy.exceptions import MatomoAPIError

from tests.reports.conftest import Seeded


def _period(seeded: Seeded) -> dict[str, Any]:
    return {"period": "range", "date": f"{seeded.d1},{seeded.d2}"}


def read_with_matomopy(seeded: Seeded, auth_method: str) -> dict[str, Any]:
    period = _period(seeded)
    with MatomoClient(
        seeded.server.base,
        token_auth="test-token",
        default_id_site=seeded.site,
        auth_method=auth_method,
    ) as client:
        return {
            "version": client.get_matomo_version(),
            "summary": client.VisitsSummary.get(**period),
            "days": client.VisitsSummary.get(period="day", date=f"{seeded.d1},{seeded.d2}"),
            "pages": list(client.paginate("Actions.getPageUrls", page_size=2, flat=True, **period)),
            "sites": client.SitesManager.getSitesWithAtLeastViewAccess(),
            "csv": client.call("Referrers.getReferrerType", format="csv", **period),
            "bulk": client.bulk_request(
                [
                    {"method": "Actions.getPageTitles", "idSite": seeded.site, **period},
                    {"method": "DevicesDetection.getBrowsers", "idSite": seeded.site, **period},
                ]
            ),
        }


@pytest.mark.parametrize("auth_method", ["post", "bearer"])
async def test_matomopy_reads_the_reporting_api_unchanged(seeded: Seeded, auth_method: str) -> None:
    got = await asyncio.to_thread(read_with_matomopy, seeded, auth_method)
    assert got["version"] == "5.0.0"
    assert got["summary"]["nb_visits"] == 5 and got["summary"]["bounce_rate"] == "40%"
    assert [d["nb_visits"] for d in got["days"].values()] == [3, 2]
    assert [p["label"] for p in got["pages"]] == ["/", "/about", "/contact"]  # over two pages
    assert [s["idsite"] for s in got["sites"]][:1] and seeded.site in {
        s["idsite"] for s in got["sites"]
    }
    assert "label,nb_visits" in got["csv"] and "Direct Entry" in got["csv"]
    titles, browsers = got["bulk"]
    assert titles[0] == {"label": "About", "nb_visits": 2, "nb_hits": 3}
    assert sum(b["nb_visits"] for b in browsers) == 5


def call_with_wrong_token(seeded: Seeded) -> str:
    with MatomoClient(seeded.server.base, token_auth="0" * 32) as client:
        try:
            client.VisitsSummary.get(id_site=seeded.site, period="day", date="today")
        except MatomoAPIError as exc:
            return str(exc)
    return "no error"


async def test_matomopy_raises_matomos_error_for_a_token_without_access(seeded: Seeded) -> None:
    message = await asyncio.to_thread(call_with_wrong_token, seeded)
    assert "requires 'view' access" in message

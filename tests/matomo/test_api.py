"""`/index.php?module=API`: Matomo's answer shapes, periods, formats and errors, on the
fixed hit set (five visits on D1 and D2, one on D3; see tests/reports/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import orjson
import pytest

from collector.access import users
from collector.reports.runner import run_report
from tests.reports.conftest import Seeded
from tests.support import request, running_app, settings_for


async def call(seeded: Seeded, method: str, *, fmt: str = "json", **params: Any) -> Any:
    query = {"module": "API", "method": method, "format": fmt, "token_auth": "test-token"}
    query |= {"idSite": seeded.site} | params
    status, headers, body = await request(
        "GET", seeded.server.base + "/index.php?" + urlencode(query)
    )
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    return orjson.loads(body) if fmt == "json" else body


def period(seeded: Seeded) -> dict[str, str]:
    return {"period": "range", "date": f"{seeded.d1},{seeded.d2}"}


async def test_visits_summary_has_matomos_fields_and_no_unique_visitors(seeded: Seeded) -> None:
    answer = await call(seeded, "VisitsSummary.get", **period(seeded))
    assert answer == {
        "nb_visits": 5,
        "nb_actions": 13,
        "bounce_count": 2,
        "sum_visit_length": 1050,
        "bounce_rate": "40%",
        "nb_actions_per_visit": 2.6,
        "avg_time_on_site": 210,
    }
    assert "nb_uniq_visitors" not in answer and "nb_users" not in answer


async def test_several_days_are_a_dict_keyed_by_date_with_empty_days_as_empty_lists(
    seeded: Seeded,
) -> None:
    answer = await call(seeded, "VisitsSummary.get", period="day", date=f"{seeded.d1},{seeded.d3}")
    assert list(answer) == [seeded.d1.isoformat(), seeded.d2.isoformat(), seeded.d3.isoformat()]
    assert [answer[k]["nb_visits"] for k in answer] == [3, 2, 1]
    empty = await call(seeded, "VisitsSummary.get", period="day", date="2001-01-01")
    assert empty == []


async def test_last_n_days_end_today_in_the_sites_zone(database_url: str) -> None:
    # 23:30 UTC is already tomorrow in Berlin: date=today is Berlin's date.
    async with running_app(settings_for(database_url)) as server:
        server.site_id = await server.add_site(
            "Berlin", "berlin-zone.example", timezone="Europe/Berlin"
        )
        server.clock.now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        query = urlencode(
            {
                "module": "API",
                "method": "VisitsSummary.get",
                "idSite": server.site_id,
                "period": "day",
                "date": "last2",
                "format": "json",
                "token_auth": "test-token",
            }
        )
        _, _, body = await request("GET", f"{server.base}/index.php?{query}")
    assert list(orjson.loads(body)) == ["2026-06-30", "2026-07-01"]


async def test_a_week_is_the_week_holding_the_date(seeded: Seeded) -> None:
    answer = await call(seeded, "VisitsSummary.get", period="week", date=seeded.d2.isoformat())
    weeks = await call(seeded, "VisitsSummary.get", period="week", date=f"{seeded.d1},{seeded.d3}")
    total = sum(w["nb_visits"] for w in weeks.values() if w)
    assert total == 6  # every visit of D1..D3 lies in one of the weeks holding them
    assert answer["nb_visits"] >= 2
    for label in weeks:
        first, last = label.split(",")
        assert datetime.fromisoformat(first).weekday() == 0  # Monday
        assert datetime.fromisoformat(last).weekday() == 6


async def test_actions_reports_use_matomos_labels_and_counts(seeded: Seeded) -> None:
    pages = await call(seeded, "Actions.getPageUrls", flat=1, **period(seeded))
    assert pages == [
        {"label": "/", "nb_visits": 3, "nb_hits": 3},
        {"label": "/about", "nb_visits": 2, "nb_hits": 3},
        {"label": "/contact", "nb_visits": 2, "nb_hits": 2},
    ]
    entries = await call(seeded, "Actions.getEntryPageUrls", **period(seeded))
    assert entries[1] == {
        "label": "/contact",
        "entry_nb_visits": 2,
        "entry_bounce_count": 2,
        "nb_hits": 2,
        "bounce_rate": "100%",
    }
    exits = await call(seeded, "Actions.getExitPageUrls", **period(seeded))
    assert exits[2] == {"label": "/", "exit_nb_visits": 1, "nb_hits": 3, "exit_rate": "33%"}
    titles = await call(seeded, "Actions.getPageTitles", **period(seeded))
    assert titles[0] == {"label": "About", "nb_visits": 2, "nb_hits": 3}
    [download] = await call(seeded, "Actions.getDownloads", **period(seeded))
    assert download["nb_hits"] == 1 and download["label"].endswith("/files/plan.pdf")
    [outlink] = await call(seeded, "Actions.getOutlinks", **period(seeded))
    assert outlink["label"] == "https://partner.example/offer"
    [search] = await call(seeded, "Actions.getSiteSearchKeywords", **period(seeded))
    assert search == {"label": "opening hours", "nb_visits": 1, "nb_hits": 1}


async def test_referrer_reports(seeded: Seeded) -> None:
    types = await call(seeded, "Referrers.getReferrerType", **period(seeded))
    assert {t["label"]: t["nb_visits"] for t in types} == {
        "Campaigns": 1,
        "Direct Entry": 1,
        "Search Engines": 1,
        "Social Networks": 1,
        "Websites": 1,
    }
    direct = next(t for t in types if t["label"] == "Direct Entry")
    assert direct["referrer_type"] == 1 and direct["segment"] == "referrerType==direct"
    [site] = await call(seeded, "Referrers.getWebsites", **period(seeded))
    assert (site["label"], site["nb_actions"], site["bounce_rate"]) == ("blog.example", 4, "0%")
    [engine] = await call(seeded, "Referrers.getSearchEngines", **period(seeded))
    assert engine["label"] == "Google"
    [campaign] = await call(seeded, "Referrers.getCampaigns", **period(seeded))
    assert (campaign["label"], campaign["nb_visits"]) == ("spring", 1)


async def test_devices_events_and_hours(seeded: Seeded) -> None:
    types = await call(seeded, "DevicesDetection.getType", **period(seeded))
    assert {t["label"] for t in types} <= {"Desktop", "Smartphone", "Tablet", "Unknown"}
    assert sum(t["nb_visits"] for t in types) == 5
    browsers = await call(seeded, "DevicesDetection.getBrowsers", **period(seeded))
    assert sum(b["nb_visits"] for b in browsers) == 5
    assert await call(seeded, "DevicesDetection.getOsFamilies", **period(seeded))
    [video] = await call(seeded, "Events.getCategory", **period(seeded))
    assert video == {
        "label": "Video",
        "nb_visits": 2,
        "nb_events": 2,
        "nb_events_with_value": 2,
        "sum_event_value": 4.0,
        "avg_event_value": 2.0,
    }
    [play] = await call(seeded, "Events.getAction", **period(seeded))
    assert play["label"] == "play"
    hours = await call(seeded, "VisitTime.getVisitInformationPerLocalTime", **period(seeded))
    assert [h["label"] for h in hours] == [str(h) for h in range(24)]
    assert {h["label"]: h["nb_visits"] for h in hours if h["nb_visits"]} == {
        "9": 1,
        "10": 1,
        "11": 1,
        "12": 1,
        "15": 1,
    }


async def test_filter_limit_and_offset_cut_the_rows(seeded: Seeded) -> None:
    pages = await call(seeded, "Actions.getPageUrls", filter_limit=1, **period(seeded))
    assert [p["label"] for p in pages] == ["/"]
    pages = await call(
        seeded, "Actions.getPageUrls", filter_limit=1, filter_offset=1, **period(seeded)
    )
    assert [p["label"] for p in pages] == ["/about"]
    assert len(await call(seeded, "Actions.getPageUrls", filter_limit=-1, **period(seeded))) == 3


async def test_xml_is_matomos_shape(seeded: Seeded) -> None:
    body = await call(seeded, "VisitsSummary.get", fmt="xml", **period(seeded))
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8" ?>\n<result>\n\t<nb_visits>5')
    rows = ElementTree.fromstring(
        await call(seeded, "Actions.getPageUrls", fmt="xml", **period(seeded))
    )
    assert [r.findtext("label") for r in rows.iter("row")] == ["/", "/about", "/contact"]
    multi = ElementTree.fromstring(
        await call(
            seeded, "VisitsSummary.get", fmt="xml", period="day", date="2001-01-01,2001-01-02"
        )
    )
    assert multi.tag == "results"
    assert [r.get("date") for r in multi] == ["2001-01-01", "2001-01-02"]
    default = await call(seeded, "VisitsSummary.get", fmt="", **period(seeded))
    assert default.startswith(b"<?xml")  # Matomo's default format


async def test_csv_and_tsv_are_utf16_with_a_bom_unless_asked_otherwise(seeded: Seeded) -> None:
    body = await call(seeded, "Actions.getPageUrls", fmt="csv", **period(seeded))
    assert body.startswith(b"\xff\xfe")
    assert body[2:].decode("utf-16-le").splitlines() == [
        "label,nb_visits,nb_hits",
        "/,3,3",
        "/about,2,3",
        "/contact,2,2",
    ]
    tsv = await call(
        seeded,
        "VisitsSummary.get",
        fmt="tsv",
        convertToUnicode=0,
        period="day",
        date=f"{seeded.d1},{seeded.d2}",
    )
    lines = tsv.decode().splitlines()
    assert lines[0].startswith("date\tnb_visits\tnb_actions")
    assert lines[1].startswith(f"{seeded.d1}\t3\t")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "Nope.get"}, "does not exist"),
        ({"period": "hour", "date": "today"}, "period"),
        ({"period": "day", "date": "soon"}, "date"),
        ({"idSite": "1,2", "period": "day", "date": "today"}, "idSite"),
        ({"idSite": "", "period": "day", "date": "today"}, "idSite"),
        ({"period": "day", "date": "today", "filter_limit": "lots"}, "filter_limit"),
        ({"period": "day", "date": "today", "segment": "browserCode==FF"}, "segment"),
    ],
)
async def test_bad_requests_get_matomos_error_object(
    seeded: Seeded, params: dict[str, str], message: str
) -> None:
    method = params.pop("method", "VisitsSummary.get")
    answer = await call(seeded, method, **params)
    assert answer["result"] == "error" and message in answer["message"]
    xml = await call(seeded, method, fmt="xml", **params)
    assert ElementTree.fromstring(xml).find("error").get("message")


async def test_without_a_token_there_is_no_access_and_no_site_list(seeded: Seeded) -> None:
    answer = await call(seeded, "VisitsSummary.get", token_auth="", period="day", date="today")
    assert answer == {
        "result": "error",
        "message": "You can't access this resource as it requires 'view' access for the "
        f"website id = {seeded.site}.",
    }
    assert await call(seeded, "SitesManager.getSitesWithAtLeastViewAccess", token_auth="") == []
    assert (await call(seeded, "API.getMatomoVersion", token_auth="wrong"))["result"] == "error"


async def test_a_users_token_sees_only_their_sites(seeded: Seeded) -> None:
    async with seeded.server.pool.acquire() as conn:
        name = f"matomo-viewer-{seeded.site}"
        await users.add_user(conn, name, "long enough password")
        await users.grant(conn, name, seeded.site, "view")
        token = await users.new_token(conn, name)
    sites = await call(seeded, "SitesManager.getSitesWithAtLeastViewAccess", token_auth=token)
    assert [s["idsite"] for s in sites] == [seeded.site]
    assert sites[0]["name"] == "Matomo API site" and sites[0]["timezone"] == "UTC"
    mine = await call(seeded, "VisitsSummary.get", token_auth=token, **period(seeded))
    assert mine["nb_visits"] == 5


async def test_version_live_counters_and_goals(seeded: Seeded) -> None:
    assert await call(seeded, "API.getMatomoVersion") == {"value": "5.0.0"}
    [counters] = await call(seeded, "Live.getCounters", lastMinutes=30)
    assert counters == {"visits": 0, "actions": 0}  # the seeded hits are days old
    goals = await call(seeded, "Goals.get", **period(seeded))
    async with seeded.server.pool.acquire() as conn:
        rows = await run_report(conn, "goals", seeded.site, seeded.d1, seeded.d2)
    assert goals["nb_conversions"] == sum(r["conversions"] for r in rows) > 0
    assert goals["nb_visits_converted"] == sum(r["visits_converted"] for r in rows)
    one = await call(seeded, "Goals.get", idGoal=str(rows[0]["goal_id"]), **period(seeded))
    assert one["nb_conversions"] == rows[0]["conversions"]


async def test_countries_as_matomo_names_an_unknown_one(seeded: Seeded) -> None:
    # this server has no COLLECTOR_GEOIP_DB: every visit's country is unknown, "xx" in Matomo
    rows = await call(seeded, "UserCountry.getCountry", **period(seeded))
    async with seeded.server.pool.acquire() as conn:
        [ours] = await run_report(conn, "countries", seeded.site, seeded.d1, seeded.d2)
    assert ours["country"] == "(unknown)"
    assert rows == [
        {
            "label": "Unknown",
            "code": "xx",
            "nb_visits": ours["visits"],
            "nb_actions": ours["actions"],
            "segment": "countryCode==xx",
        }
    ]


async def test_bulk_requests_answer_each_in_order(seeded: Seeded) -> None:
    inner = [
        urlencode({"method": "VisitsSummary.get", "idSite": seeded.site, **period(seeded)}),
        "?" + urlencode({"method": "API.getMatomoVersion"}),
        urlencode({"method": "Nope.get"}),
    ]
    data = {
        "module": "API",
        "method": "API.getBulkRequest",
        "format": "json",
        "token_auth": "test-token",
        **{f"urls[{i}]": url for i, url in enumerate(inner)},
    }
    status, _, body = await request("POST", seeded.server.base + "/index.php", data=data)
    answer = orjson.loads(body)
    assert status == 200 and len(answer) == 3
    assert answer[0]["nb_visits"] == 5 and answer[1] == {"value": "5.0.0"}
    assert answer[2]["result"] == "error"


async def test_live_counters_count_the_last_minutes_from_raw_hits(database_url: str) -> None:
    async with running_app(settings_for(database_url)) as server:
        server.domain = "live-counters.example"
        server.site_id = await server.add_site("Live", server.domain)
        status, _, _ = await server.get(
            "/matomo.php", server.hit_params(), cookies={"collector_consent": "yes"}
        )
        assert status == 200
        await server.flush()
        query = {
            "module": "API",
            "method": "Live.getCounters",
            "idSite": server.site_id,
            "lastMinutes": 5,
            "format": "json",
            "token_auth": "test-token",
        }
        _, _, body = await request("GET", f"{server.base}/index.php?{urlencode(query)}")
    assert orjson.loads(body) == [{"visits": 1, "actions": 1}]


async def test_only_module_api_is_served_and_unknown_formats_are_refused(seeded: Seeded) -> None:
    status, _, body = await request("GET", seeded.server.base + "/index.php?module=CoreHome")
    assert status == 400 and b"module=API" in body
    answer = orjson.loads(await call(seeded, "API.getMatomoVersion", fmt="php"))
    assert answer["result"] == "error" and "php" in answer["message"]

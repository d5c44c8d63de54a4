"""Every request matomo.js 5.x sends, counted as Matomo counts it: goals, ecommerce, content,
page performance, custom dimensions, app referrers, over-long text.

The requests are built as matomo.js builds them (js/piwik.js: `getRequest`, `logGoal`,
`logEcommerce`, `buildContentImpressionRequest`, `buildContentInteractionRequest`,
`appendAvailablePerformanceMetrics`, `sendBulkRequest`), replicated below in Python with the
same parameter order and `encodeURIComponent`, and sent over a real socket as GET, as the
form POST that XHR and sendBeacon send, and as bulk JSON. The browser paths themselves
(image, XHR, sendBeacon in Chromium) are in test_matomo_js.py.
"""

from __future__ import annotations

from collector.appkeys import METRICS, SITES
from collector.goals import GoalSpec, add_dimension
from tests.matomo_requests import MatomoJs, add_goals, encode, report
from tests.support import Running, dump_database


async def test_goals_convert_once_per_visit_or_every_time_with_fixed_or_sent_revenue(
    server: Running,
) -> None:
    thanks, signup, brochure = await add_goals(
        server,
        GoalSpec("Thanks page", "url", "contains", "/thanks", revenue=4),
        GoalSpec("Signup", "manually", allow_multiple=True, revenue=1),
        GoalSpec("Brochure", "file", "regex", r"brochure\.pdf$"),
    )
    tab = MatomoJs(server, "/thanks?x=1")
    assert (await tab.get(tab.pageview("Thanks")))[0] == 204
    assert (await tab.post(tab.pageview("Thanks again")))[0] == 204  # once per visit: no more
    assert (await tab.get(tab.goal(signup, 10)))[0] == 204  # sent revenue wins
    assert (await tab.post(tab.goal(signup)))[0] == 204  # the goal's own revenue
    answer = await tab.bulk(
        tab.goal(signup, "2.5"), f"download={encode(f'https://{server.domain}/brochure.pdf')}"
    )
    assert answer == {"status": "success", "tracked": 2, "invalid": 0}
    other = MatomoJs(server, "/elsewhere")
    await other.get(other.pageview("Elsewhere"))

    rows = {r["goal_id"]: r for r in await report(server, "goals")}
    assert (rows[thanks]["conversions"], rows[thanks]["revenue"]) == (1, 4.0)
    assert (rows[signup]["conversions"], rows[signup]["revenue"]) == (3, 13.5)
    assert (rows[brochure]["conversions"], rows[brochure]["revenue"]) == (1, 0.0)
    assert rows[thanks]["visits_converted"] == 1 and rows[thanks]["conversion_rate"] == 50.0
    # Goal requests are not pageviews, nor actions (Matomo's visit_total_actions).
    [summary] = await report(server, "summary")
    assert (summary["visits"], summary["pageviews"], summary["actions"]) == (2, 3, 4)
    [over_time] = await report(server, "goals-over-time", signup)
    assert (over_time["goal_id"], over_time["conversions"]) == (signup, 3)


async def test_conversions_are_reported_by_channel_campaign_and_entry_page(
    server: Running,
) -> None:
    [signup] = await add_goals(server, GoalSpec("Signup", "manually"))
    search = MatomoJs(server, "/landing", referrer="https://www.google.de/search?q=x")
    await search.get(search.pageview("Landing"))
    await search.get(search.goal(signup))
    campaign = MatomoJs(server, "/offer?mtm_campaign=Spring")
    await campaign.get(campaign.pageview("Offer"))
    await campaign.post(campaign.goal(signup, 7))

    channels = await report(server, "goal-channels")
    assert {(r["channel"], r["source"], r["conversions"]) for r in channels} == {
        ("search", "Google", 1),
        ("campaign", "spring", 1),
    }
    [spring] = await report(server, "goal-campaigns")
    assert (spring["campaign"], spring["conversions"], spring["revenue"]) == ("spring", 1, 7.0)
    pages = {r["page"]: r for r in await report(server, "goal-entry-pages")}
    assert set(pages) == {"/landing", "/offer"} and pages["/landing"]["conversion_rate"] == 100.0


async def test_an_unknown_idgoal_is_refused_as_matomo_does(server: Running) -> None:
    tab = MatomoJs(server)
    status, body = await tab.get(tab.goal(987654))
    assert status == 400 and b"idgoal 987654 does not exist" in body
    answer = await tab.bulk(tab.pageview("ok"), tab.goal(987654))
    assert answer == {"status": "success", "tracked": 1, "invalid": 1}


ITEMS = [["SKU-1", "Book", "Books", 12.5, 2], ["SKU-2", "Pen", ["Office", "Pens"], "1.25", 4]]


async def test_an_order_is_counted_once_even_when_sent_again_and_its_number_is_never_stored(
    server: Running,
) -> None:
    tab = MatomoJs(server, "/checkout/thanks")
    await tab.get(tab.pageview("Thank you"))
    order = tab.ecommerce("ORDER-77731", 30, ITEMS, 25, 4.5, 3, 2.5)
    assert (await tab.get(order))[0] == 204
    assert (await tab.post(order))[0] == 204  # the thank-you page reloaded

    [shop] = await report(server, "ecommerce")
    assert (shop["orders"], shop["revenue"], shop["items"]) == (1, 30.0, 6)
    assert (shop["subtotal"], shop["tax"], shop["shipping"], shop["discount"]) == (
        25.0,
        4.5,
        3.0,
        2.5,
    )
    assert shop["avg_order_value"] == 30.0 and shop["conversion_rate"] == 100.0
    products = {r["sku"]: r for r in await report(server, "products")}
    assert (products["SKU-1"]["quantity"], products["SKU-1"]["revenue"]) == (2, 25.0)
    assert products["SKU-2"]["category"] == "Office, Pens"
    assert (products["SKU-2"]["revenue"], products["SKU-2"]["orders"]) == (5.0, 1)
    [summary] = await report(server, "summary")
    assert (summary["pageviews"], summary["actions"]) == (1, 1)  # orders are neither
    assert "ORDER-77731" not in await dump_database(server.pool)


async def test_a_cart_update_without_an_order_is_an_abandoned_cart(server: Running) -> None:
    tab = MatomoJs(server, "/cart")
    await tab.get(tab.pageview("Cart"))
    await tab.post(tab.ecommerce("", 12.5, ITEMS[:1]))  # logEcommerceCartUpdate
    await tab.post(tab.ecommerce("", 25, [["SKU-1", "Book", "Books", 12.5, 2]]))
    [shop] = await report(server, "ecommerce")
    assert (shop["orders"], shop["cart_updates"]) == (0, 2)
    assert (shop["abandoned_carts"], shop["abandoned_revenue"]) == (1, 25.0)

    buyer = MatomoJs(server, "/cart")
    await buyer.post(buyer.ecommerce("", 12.5, ITEMS[:1]))
    await buyer.post(buyer.ecommerce("B-1", 12.5, ITEMS[:1]))
    [shop] = await report(server, "ecommerce")
    assert (shop["orders"], shop["cart_updates"], shop["abandoned_carts"]) == (1, 3, 1)


async def test_content_impressions_and_interactions_are_their_own_actions(
    server: Running,
) -> None:
    tab = MatomoJs(server, "/news")
    await tab.get(tab.pageview("News"))
    # trackAllContentImpressions sends the impressions of a page as one bulk request
    answer = await tab.bulk(
        tab.content_impression("Banner", "spring.png", "https://shop.example/spring?src=x"),
        tab.content_impression("Teaser", "Read more"),
    )
    assert answer["tracked"] == 2
    await tab.get(
        tab.content_interaction("click", "Banner", "spring.png", "https://shop.example/spring")
    )
    rows = {r["name"]: r for r in await report(server, "contents")}
    assert rows["Banner"]["target"] == "https://shop.example/spring"  # no query string
    assert (rows["Banner"]["impressions"], rows["Banner"]["interactions"]) == (1, 1)
    assert rows["Banner"]["interaction_rate"] == 100.0
    assert (rows["Teaser"]["impressions"], rows["Teaser"]["interactions"]) == (1, 0)
    [summary] = await report(server, "summary")
    assert (summary["pageviews"], summary["actions"], summary["bounce_rate"]) == (1, 1, 100.0)


async def test_page_timings_are_reported_per_page_as_average_and_p75(server: Running) -> None:
    timings = [(10, 100, 5, 200, 300, 20), (30, 200, 15, 400, 500, 40)]
    timings += [(50, 300, 25, 600, 700, 60), (70, 400, 35, 800, 900, 80)]
    for i, values in enumerate(timings):
        tab = MatomoJs(server, "/slow")
        send = tab.get if i % 2 else tab.post
        assert (await send(tab.pageview("Slow", values)))[0] == 204
    plain = MatomoJs(server, "/slow")
    await plain.get(plain.pageview("Slow"))  # no timings: counts as a pageview, not a timing

    [row] = await report(server, "page-performance")
    assert (row["page"], row["pageviews"]) == ("/slow", 4)
    assert (row["avg_network"], row["avg_server"], row["avg_on_load"]) == (40, 250, 50)
    # p75 from the histogram: server times 100, 200, 300, 400 fall in the buckets [100, 150),
    # [200, 300), [300, 400), [400, 500); the 3rd of 4 is the 75th percentile, read at the end
    # of its bucket.
    assert row["p75_server"] == 400
    assert row["avg_page_load"] == 40 + 250 + 20 + 500 + 600 + 50
    stored = await server.rows("SELECT pf_srv FROM hits WHERE site_id = $1 AND pf_srv IS NOT NULL")
    assert sorted(r["pf_srv"] for r in stored) == [100, 200, 300, 400]


async def test_a_timing_too_long_for_matomo_is_ignored_and_minus_one_is_not_measured(
    server: Running,
) -> None:
    tab = MatomoJs(server, "/p")
    assert (await tab.get(tab.pageview("P") + "&pf_net=16777216&pf_srv=-1&pf_tfr=7"))[0] == 204
    await server.flush()
    [row] = await server.rows("SELECT pf_net, pf_srv, pf_tfr FROM hits WHERE site_id = $1")
    assert (row["pf_net"], row["pf_srv"], row["pf_tfr"]) == (None, None, 7)


async def test_media_forms_and_other_custom_actions_are_dropped_and_counted(
    server: Running,
) -> None:
    counted = server.app[METRICS]
    before = {r: counted.value("hits_dropped", r) for r in ("media", "form", "custom_action")}
    tab = MatomoJs(server)
    media = "ma_id=abc&ma_ti=Intro&ma_mt=video&ma_pn=html5&ma_st=12&ma_ps=3&ca=1"
    form = "fa_vid=NF7NS9&fa_name=contact&fa_fv=1&ca=1"
    for params in (media, form, "ca=1"):
        assert (await tab.get(params))[0] == 204
    await server.flush()
    assert await server.rows() == []
    after = {r: counted.value("hits_dropped", r) for r in before}
    assert {r: after[r] - before[r] for r in before} == {"media": 1, "form": 1, "custom_action": 1}


async def test_declared_dimensions_are_kept_cut_to_250_and_undeclared_ones_ignored(
    server: Running,
) -> None:
    async with server.pool.acquire() as conn:
        member = await add_dimension(conn, server.site_id, "Member", "visit")
        colour = await add_dimension(conn, server.site_id, "Colour", "action")
    await server.app[SITES].load()
    tab = MatomoJs(server)
    long_value = "x" * 300
    await tab.get(tab.pageview("A") + f"&dimension{member}=guest&dimension{colour}=red")
    await tab.get(tab.pageview("B") + f"&dimension{member}=member&dimension{colour}={long_value}")
    undeclared = f"undeclared-{server.domain}"
    await tab.get(tab.pageview("C") + f"&dimension999999={undeclared}")
    await server.flush()
    stored = await dump_database(server.pool)
    assert undeclared not in stored and "x" * 251 not in stored and "x" * 250 in stored

    visit = await report(server, "dimensions", member)
    assert [(r["value"], r["visits"], r["actions"]) for r in visit] == [("member", 1, 3)]
    action = {r["value"]: r for r in await report(server, "dimensions", colour)}
    assert set(action) == {"red", "x" * 250} and action["red"]["scope"] == "action"


async def test_android_app_referrers_are_accepted_and_classified_as_matomo_does(
    server: Running,
) -> None:
    for referrer in (
        "android-app://com.google.android.gm/",
        "android-app://com.google.android.googlequicksearchbox/https/www.google.com",
    ):
        tab = MatomoJs(server, referrer=referrer)
        assert (await tab.get(tab.pageview("From an app")))[0] == 204
    rows = {(r["type"], r["name"]) for r in await report(server, "referrers")}
    assert rows == {("website", "com.google.android.gm"), ("search", "Google")}


async def test_over_long_text_is_cut_not_refused_and_malformed_input_still_is(
    server: Running,
) -> None:
    tab = MatomoJs(server, "/" + "p" * 5000)
    title = "404 " + "t" * 3000
    status, _ = await tab.get(tab.pageview(title))
    assert status == 204
    await server.flush()
    [row] = await server.rows("SELECT url, title FROM hits WHERE site_id = $1")
    assert len(row["url"]) == 4096 and row["title"] == title[:1024]
    status, body = await tab.get(tab.pageview("Bad") + "&action_name=%zz")
    assert status == 400 and b"percent-encoding" in body

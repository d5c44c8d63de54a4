"""matomo.js's requests, replicated: what js/piwik.js builds (`getRequest`, `logGoal`,
`logEcommerce`, `buildContentImpressionRequest`, `buildContentInteractionRequest`,
`appendAvailablePerformanceMetrics`, `sendBulkRequest`), with the same parameter order and
`encodeURIComponent`, sent over a real socket. The tests replicate its requests; they do not
ship it."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import orjson

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_goal
from collector.reports.period import local_today
from collector.reports.runner import run_report
from tests.support import CONSENT, Running, request

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def encode(value: object) -> str:
    """JavaScript's encodeURIComponent, which matomo.js's encodeWrapper is."""
    return quote(str(value), safe="-_.!~*'()")


class MatomoJs:
    """One page view's tracker: the requests matomo.js would send from `page`, and a browser
    session's cookies (consent, and the collector_session the first answer sets)."""

    def __init__(self, server: Running, page: str = "/", referrer: str = "") -> None:
        self.server = server
        self.page = f"https://{server.domain}{page}"
        self.referrer = referrer
        self.jar = dict(CONSENT)

    def request(self, params: str) -> str:
        """getRequest(): the action's parameters first, then what every request carries."""
        return (
            f"{params}&idsite={self.server.site_id}&rec=1&r=123456&h=12&m=34&s=56"
            f"&url={encode(self.page)}&urlref={encode(self.referrer)}"
            "&_id=0123456789abcdef&_idn=0&_refts=0&send_image=0&cookie=1&res=1280x720"
            "&pv_id=Ab12Cd"
        )

    @staticmethod
    def goal(goal_id: int, revenue: object = None) -> str:
        """logGoal(idGoal, customRevenue)."""
        return f"idgoal={goal_id}" + (f"&revenue={revenue}" if revenue else "")

    @staticmethod
    def ecommerce(
        order_id: str, grand_total: object, items: list[list[Any]], *totals: object
    ) -> str:
        """logEcommerce(orderId, grandTotal, subTotal, tax, shipping, discount): an order when
        orderId is set, a cart update (logEcommerceCartUpdate) when it is ''."""
        request = "idgoal=0"
        if order_id:
            request += f"&ec_id={encode(order_id)}"
        request += f"&revenue={grand_total}"
        for name, value in zip(("ec_st", "ec_tx", "ec_sh", "ec_dt"), totals, strict=False):
            request += f"&{name}={value}"
        if items:
            request += f"&ec_items={encode(orjson.dumps(items).decode())}"
        return request

    @staticmethod
    def content_impression(name: str, piece: str, target: str = "") -> str:
        """buildImpressionRequestParams."""
        params = f"c_n={encode(name)}&c_p={encode(piece)}"
        return params + (f"&c_t={encode(target)}" if target else "") + "&ca=1"

    @staticmethod
    def content_interaction(interaction: str, name: str, piece: str, target: str) -> str:
        """buildInteractionRequestParams."""
        return (
            f"c_i={encode(interaction)}&c_n={encode(name)}&c_p={encode(piece)}"
            f"&c_t={encode(target)}&ca=1"
        )

    @staticmethod
    def pageview(title: str, timings: tuple[int, ...] = ()) -> str:
        """logPageView with appendAvailablePerformanceMetrics (pf_net … pf_onl)."""
        names = ("pf_net", "pf_srv", "pf_tfr", "pf_dm1", "pf_dm2", "pf_onl")
        metrics = "".join(f"&{n}={v}" for n, v in zip(names, timings, strict=False))
        return f"action_name={encode(title)}{metrics}"

    async def _remember(self, headers: dict[str, str]) -> None:
        if cookie := headers.get("Set-Cookie"):
            self.jar["collector_session"] = cookie.split(";")[0].partition("=")[2]

    async def get(self, params: str) -> tuple[int, bytes]:
        url = f"{self.server.base}/matomo.php?{self.request(params)}"
        status, headers, body = await request("GET", url, cookies=self.jar)
        await self._remember(headers)
        return status, body

    async def post(self, params: str) -> tuple[int, bytes]:
        """What XHR and sendBeacon send: the request as a form body."""
        status, headers, body = await request(
            "POST",
            f"{self.server.base}/matomo.php",
            cookies=self.jar,
            headers=FORM,
            data=self.request(params).encode(),
        )
        await self._remember(headers)
        return status, body

    async def bulk(self, *params: str) -> dict[str, Any]:
        """sendBulkRequest: {"requests": ["?<request>", …]} (also used for content impressions)."""
        body = '{"requests":["?' + '","?'.join(self.request(p) for p in params) + '"]}'
        status, headers, answer = await request(
            "POST", f"{self.server.base}/matomo.php", cookies=self.jar, data=body.encode()
        )
        await self._remember(headers)
        assert status == 200, answer
        doc: dict[str, Any] = orjson.loads(answer)
        return doc


async def report(server: Running, name: str, subject: int | None = None) -> list[dict[str, Any]]:
    """Report `name` for today, after the roll-up took in everything sent."""
    await server.roll_up()
    site = server.app[SITES].get(server.site_id)
    assert site is not None
    today: date = local_today(server.clock(), site.timezone)
    async with server.pool.acquire() as conn:
        return await run_report(conn, name, server.site_id, today, today, 100, subject)


async def add_goals(server: Running, *specs: GoalSpec) -> list[int]:
    async with server.pool.acquire() as conn:
        ids = [await add_goal(conn, server.site_id, spec) for spec in specs]
    await server.app[SITES].load()
    return ids

"""`GET /share/{token}`: a share link's read-only view of its one site's dashboard.

The link's principal views that site only, and only its cards (collector/access/shares.py).
The page has no site list, no logout and no form that changes anything; it takes the same
`from`/`to` period as the dashboard, never another `site`. An unknown, revoked or malformed
token is one 404, and so is every link while the dashboard is switched off.
"""

from __future__ import annotations

from aiohttp import web

from collector.access.login import html
from collector.access.rights import Principal
from collector.access.shares import share_path, share_principal
from collector.appkeys import POOL, SETTINGS, SITES
from collector.reports.dashboard import site_page
from collector.reports.export import card_csv
from collector.reports.markup import error_page
from collector.tracking.params import Site

MAX_TOKEN = 64


def _not_found() -> web.Response:
    return html(error_page("no such link"), status=404, headers={"X-Robots-Tag": "noindex"})


async def _link(request: web.Request) -> tuple[Principal, Site] | web.Response:
    """The link's principal and its one site, or the 404 of a link that is not one."""
    app = request.app
    token = request.match_info["token"]
    if app[SETTINGS].api_token is None or not (16 <= len(token) <= MAX_TOKEN):
        return _not_found()
    async with app[POOL].acquire() as conn:
        principal = await share_principal(conn, token)
    if principal is None:
        return _not_found()
    [site_id] = principal.roles
    site = app[SITES].get(site_id)
    if site is None:
        return _not_found()
    return principal, site


async def share_view(request: web.Request) -> web.Response:
    link = await _link(request)
    if isinstance(link, web.Response):
        return link
    principal, site = link
    path = share_path(request.match_info["token"])
    response = await site_page(request, principal, [site], share_path=path)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


async def share_export(request: web.Request) -> web.Response:
    """`/share/{token}/export/{card}.csv`: a card the link shows, as CSV (reports/export.py)."""
    link = await _link(request)
    if isinstance(link, web.Response):
        return link
    principal, site = link
    response = await card_csv(request, principal, [site], shared=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response

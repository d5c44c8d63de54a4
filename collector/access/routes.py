"""Every route of the app, and whether it serves any site's data.

`create_app` refuses to start when a route is in neither set, so a new route cannot be added
without deciding who may see it. A site-scoped route checks the caller's rights on the site
it serves (collector/access/rights.py); tests/access/test_every_route.py asks each one, as a
user of site A, for site B, and wants the answer it gives for a site that does not exist.
"""

from __future__ import annotations

from aiohttp import web

# Serve no site's reports: tracking (write-only, gated by consent), the visitor's own privacy
# endpoints, the login form and its switches, health, metrics and the API's description.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/matomo.php"),
        ("POST", "/matomo.php"),
        ("OPTIONS", "/matomo.php"),
        ("GET", "/piwik.php"),
        ("POST", "/piwik.php"),
        ("OPTIONS", "/piwik.php"),
        ("GET", "/tracker.js"),
        ("GET", "/optout"),
        ("POST", "/optout"),
        ("POST", "/optin"),
        ("OPTIONS", "/optout"),
        ("OPTIONS", "/optin"),
        ("GET", "/privacy/me"),
        ("DELETE", "/privacy/me"),
        ("OPTIONS", "/privacy/me"),
        ("POST", "/privacy/me/erase"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/reports"),  # report names only, and only for a known token
        ("POST", "/dashboard/login"),
        ("POST", "/dashboard/logout"),
        ("GET", "/dashboard/live.{hash}.js"),  # the live refresher: a static script, no data
    }
)

# Serve one site's data, or act on one site: each checks the caller's rights on it.
SITE_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/reports/{name}"),
        ("GET", "/api/live"),
        ("GET", "/dashboard"),
        ("GET", "/share/{token}"),
        ("GET", "/dashboard/export/{card}.csv"),
        ("GET", "/share/{token}/export/{card}.csv"),
        ("GET", "/index.php"),
        ("POST", "/index.php"),
        ("GET", "/api/sites/{site}/shares"),
        ("POST", "/api/sites/{site}/shares"),
        ("DELETE", "/api/sites/{site}/shares/{share_id}"),
        ("GET", "/api/goals"),
        ("POST", "/api/goals"),
        ("DELETE", "/api/goals/{id}"),
        ("GET", "/api/dimensions"),
        ("POST", "/api/dimensions"),
        ("DELETE", "/api/dimensions/{id}"),
    }
)


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }


def check_routes(app: web.Application) -> None:
    unlisted = served_routes(app) - PUBLIC - SITE_SCOPED
    if unlisted:
        listed = ", ".join(f"{m} {p}" for m, p in sorted(unlisted))
        raise RuntimeError(f"routes not in collector/access/routes.py: {listed}")

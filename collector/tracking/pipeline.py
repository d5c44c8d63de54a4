"""The hit path after the handler has truncated the IP and passed the consent gate:

    parse + validate (goals matched)  ->  referrer spam dropped  ->  enrich (user agent and
    client hints, referrer, campaign; bots dropped)

Pure functions: each returns the `Hit`, a `Drop` (answered as usual, counted, not kept) or
a `Reject` (bad input, answered 4xx). The handler runs them in this order for every request
of a pixel, form or bulk call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from collector.tracking.devices import NO_HINTS, Hints, request_hints
from collector.tracking.enrich import classify_referrer, extract_campaign, parse_agent
from collector.tracking.hit import Drop, DropReason, Hit
from collector.tracking.params import HitContext, Reject, Site, parse_hit
from collector.tracking.spam import ReferrerSpam


def enrich_hit(hit: Hit, user_agent: str, site: Site, hints: Hints = NO_HINTS) -> Hit | Drop:
    agent = parse_agent(user_agent, hints)
    if agent.is_bot:
        return Drop(DropReason.BOT, agent.bot)
    hit.browser, hit.browser_version = agent.browser, agent.browser_version
    hit.os, hit.device = agent.os, agent.device
    campaign = extract_campaign(hit.url)
    if campaign is not None:
        hit.campaign_name, hit.campaign_source = campaign.name, campaign.source
        hit.campaign_medium, hit.campaign_keyword = campaign.medium, campaign.keyword
        hit.campaign_content = campaign.content
    hit.ref_type, hit.ref_name = classify_referrer(hit.referrer, site.domains, campaign)
    return hit


def process_hit(
    params: Mapping[str, str],
    ctx: HitContext,
    find_site: Callable[[int], Site | None],
    *,
    api_token: str | None,
    retention_days: int,
    referrer_spam: ReferrerSpam | None = None,
) -> Hit | Drop | Reject:
    hit = parse_hit(params, ctx, find_site, api_token=api_token, retention_days=retention_days)
    if not isinstance(hit, Hit):  # Reject, or a Drop: media, forms, ca=1 of no known kind
        return hit
    if referrer_spam is not None and referrer_spam.is_spam(hit.referrer):
        return Drop(DropReason.REFERRER_SPAM)
    site = find_site(hit.site_id)
    assert site is not None  # parse_hit found it a moment ago
    forwarded = params.get("ua")  # a server-side client's visitor agent
    hints = NO_HINTS
    if ctx.ua_mobile is not None or ctx.ua_platform is not None or "uadata" in params:
        hints = request_hints(
            ctx.ua_mobile, ctx.ua_platform, params.get("uadata"), own_agent=not forwarded
        )
    return enrich_hit(hit, forwarded or ctx.user_agent, site, hints)

"""The one record a tracking request becomes, and the reasons one is dropped.

Everything downstream of parsing (enrichment, the queue, the writer) reads a `Hit`, never
the raw request. Its fields are the columns of the `hits` table, in order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter


class Action(enum.StrEnum):
    PAGEVIEW = "pageview"
    DOWNLOAD = "download"
    OUTLINK = "outlink"
    EVENT = "event"
    SEARCH = "search"
    PING = "ping"  # heartbeat: extends visit time, is not a pageview
    GOAL = "goal"  # idgoal=N: a goal converted by hand (trackGoal)
    ORDER = "order"  # idgoal=0 with ec_id: an ecommerce order
    CART_UPDATE = "cart_update"  # idgoal=0 without ec_id
    CONTENT_IMPRESSION = "content_impression"  # c_n without c_i
    CONTENT_INTERACTION = "content_interaction"  # c_i


@dataclass(slots=True)
class Hit:
    site_id: int
    ts: datetime
    session_id: str  # 32 hex digits (tracking/session.py)
    new_visit: bool
    action: str
    url: str
    title: str | None = None
    target_url: str | None = None  # download / outlink target
    referrer: str | None = None
    ref_type: str | None = None  # direct, website, search, social, campaign
    ref_name: str | None = None
    campaign_name: str | None = None
    campaign_source: str | None = None
    campaign_medium: str | None = None
    campaign_keyword: str | None = None
    campaign_content: str | None = None
    search_keyword: str | None = None
    search_category: str | None = None
    search_count: int | None = None
    event_category: str | None = None
    event_action: str | None = None
    event_name: str | None = None
    event_value: float | None = None
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    device: str | None = None  # desktop, mobile, tablet, bot
    lang: str | None = None
    resolution: str | None = None
    pv_id: str | None = None
    ip_prefix: str | None = None  # already truncated; never a full address
    # Issue #16 (appended, as every new field is): goals this hit converted, as JSON
    # [[goal_id, revenue, once_per_visit], ...]; ecommerce (ec_id is never kept); content;
    # page performance in ms; declared custom dimensions as JSON {"v1": …, "a2": …}.
    goals: str | None = None
    revenue: float | None = None
    ec_subtotal: float | None = None
    ec_tax: float | None = None
    ec_shipping: float | None = None
    ec_discount: float | None = None
    ec_items: str | None = None
    content_name: str | None = None
    content_piece: str | None = None
    content_target: str | None = None
    content_interaction: str | None = None
    pf_net: int | None = None
    pf_srv: int | None = None
    pf_tfr: int | None = None
    pf_dm1: int | None = None
    pf_dm2: int | None = None
    pf_onl: int | None = None
    dimensions: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, from the truncated address (geo.py)
    region: str | None = None  # "DE-BY", where the truncated address still tells (geo.py)

    def record(self) -> tuple[object, ...]:
        """The row for COPY, in `COLUMNS` order."""
        return to_record(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Hit))
to_record = attrgetter(*COLUMNS)  # Hit.record as one C call (the writer maps it over hits)


class DropReason(enum.StrEnum):
    """Why a request did not become a stored hit; each is counted in a metric."""

    NO_CONSENT = "no_consent"
    PRIVACY_SIGNAL = "privacy_signal"  # Sec-GPC / DNT treated as no consent
    BOT = "bot"
    MEDIA = "media"  # ma_* (MediaAnalytics): not kept, see README "Tracking API"
    FORM = "form"  # fa_* (FormAnalytics): not kept
    CUSTOM_ACTION = "custom_action"  # ca=1 that is none of the actions the collector counts
    REFERRER_SPAM = "referrer_spam"  # the referrer is on COLLECTOR_REFERRER_SPAM_LIST


@dataclass(frozen=True, slots=True)
class Drop:
    """A request that is answered as usual but not kept (not an error of the client)."""

    reason: DropReason
    kind: str | None = None  # for bots: which kind (tracking/bots.py KINDS)

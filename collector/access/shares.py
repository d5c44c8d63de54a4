"""Share links: an unguessable read-only link to one site's dashboard, maybe some cards only.

The link's token is shown once, when it is made; only its digest is kept, so `share list`
cannot show it again (make a new one instead). A share link is a view on its one site and
nothing else: its principal holds no other site and no admin role, and a revoked link is
answered exactly as one that never existed (404).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from collector.access.credentials import digest, new_link_token
from collector.access.rights import Principal, Role
from collector.storage.sqlfile import bind, step

# The cards a link may be limited to: the dashboard's headline numbers, its chart, the last
# 30 minutes, the open-data CSV files of its daily totals (reports/export.py), and each of its
# tables (by report name, as reports/dashboard.py lists them).
BASE_CARDS = ("summary", "chart", "live", "opendata")


@dataclass(frozen=True, slots=True)
class ShareLink:
    share_id: int
    site_id: int
    cards: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.share_id,
            "site": self.site_id,
            "cards": list(self.cards) if self.cards is not None else None,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def share_path(token: str) -> str:
    return f"/share/{token}"


def check_cards(cards: Sequence[str] | None, known: Sequence[str]) -> tuple[str, ...] | None:
    """The cards as given (None or empty: all of them); ValueError names an unknown one."""
    if not cards:
        return None
    allowed = {*BASE_CARDS, *known}
    unknown = [c for c in cards if c not in allowed]
    if unknown:
        raise ValueError(f"card: unknown {unknown[0]!r}; one of {', '.join(sorted(allowed))}")
    return tuple(dict.fromkeys(cards))


async def add_share(
    conn: asyncpg.Connection, site_id: int, cards: tuple[str, ...] | None
) -> tuple[int, str]:
    """(id, token) of a new link; the token is not stored and cannot be shown again."""
    token = new_link_token()
    params = {"site_id": site_id, "digest": digest(token), "cards": cards}
    try:
        share_id: int = await conn.fetchval(*bind(step("access", "share_add"), params))
    except asyncpg.ForeignKeyViolationError:
        raise ValueError(f"unknown site {site_id}; see: collector site list") from None
    return share_id, token


async def list_shares(conn: asyncpg.Connection, site_id: int | None = None) -> list[ShareLink]:
    rows = await conn.fetch(*bind(step("access", "share_list"), {"site_id": site_id}))
    return [
        ShareLink(
            r["share_id"],
            r["site_id"],
            tuple(r["cards"]) if r["cards"] is not None else None,
            r["created_at"],
            r["revoked_at"],
        )
        for r in rows
    ]


async def revoke_share(conn: asyncpg.Connection, share_id: int, site_id: int | None = None) -> bool:
    """True when a live link went; with `site_id`, only a link of that site."""
    params = {"share_id": share_id, "site_id": site_id}
    return await conn.fetchval(*bind(step("access", "share_revoke"), params)) is not None


async def share_principal(conn: asyncpg.Connection, token: str) -> Principal | None:
    """A view on the link's one site, limited to its cards; None when revoked or unknown."""
    row = await conn.fetchrow(*bind(step("access", "share_get"), {"digest": digest(token)}))
    if row is None:
        return None
    cards = frozenset(row["cards"]) if row["cards"] is not None else None
    return Principal(
        name=f"share:{row['share_id']}",
        roles={row["site_id"]: Role.VIEW},
        share_id=row["share_id"],
        cards=cards,
    )

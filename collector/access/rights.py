"""The one check for "may this caller see or manage this site?", used by every route.

A `Principal` is who asks: the superuser (COLLECTOR_API_TOKEN), a user with roles per site,
or a share link (view on one site, some cards). A site the caller may not see is answered
exactly as a site that does not exist, so a user learns nothing of other sites: `require`
returns the same refusal for both. Site-scoped admin actions (share links here; goals and
dimensions wherever they are served) call `require(principal, site, Role.ADMIN)`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar


class Role(enum.StrEnum):
    VIEW = "view"
    ADMIN = "admin"


_RANK = {Role.VIEW: 1, Role.ADMIN: 2}


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise ValueError("role: must be view or admin") from None


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    superuser: bool = False
    user_id: int | None = None
    roles: Mapping[int, Role] = field(default_factory=dict)
    share_id: int | None = None
    cards: frozenset[str] | None = None  # a share link's cards; None: every card

    def role(self, site_id: int) -> Role | None:
        if self.superuser:
            return Role.ADMIN
        return self.roles.get(site_id)

    def may(self, site_id: int, needed: Role = Role.VIEW) -> bool:
        role = self.role(site_id)
        return role is not None and _RANK[role] >= _RANK[needed]


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    reason: str


UNKNOWN_SITE = Refusal(404, "unknown site")


def site_refusal(
    principal: Principal, site_id: int, exists: bool, needed: Role = Role.VIEW
) -> Refusal | None:
    """None when `principal` may act on the site with `needed`, else the answer to give. A
    site the principal may not view is refused exactly as a site that does not exist; one it
    views but may not manage is 403 (it knows the site already)."""
    if not exists or not principal.may(site_id):
        return UNKNOWN_SITE
    if not principal.may(site_id, needed):
        return Refusal(403, f"needs the {needed} role on site {site_id}")
    return None


T = TypeVar("T")


def visible(principal: Principal, sites: Iterable[T], site_id_of: str = "site_id") -> list[T]:
    """The sites (any objects with a `site_id` attribute) the principal may view."""
    return [s for s in sites if principal.may(getattr(s, site_id_of))]

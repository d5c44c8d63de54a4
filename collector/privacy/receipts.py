"""Consent receipts (promise P7): proof of each opt-in and opt-out, linked to nobody.

A receipt is a random id, a time, the choice, the policy version and the site: no IP, no user
agent, no session. The visitor holds the id in a cookie; the table holds the proof. Receipts
are purged after `COLLECTOR_RECEIPT_RETENTION_DAYS` by the retention job (`purge_receipts`).
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from collector.privacy.queries import query

NO_SITE = 0  # the opt-out page was opened without naming a site


class Choice(enum.StrEnum):
    OPT_IN = "optin"
    OPT_OUT = "optout"


@dataclass(frozen=True, slots=True)
class Receipt:
    receipt_id: uuid.UUID
    site_id: int
    ts: datetime
    choice: Choice
    policy_version: str

    def as_json(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id.hex,
            "site_id": self.site_id,
            "time": self.ts,
            "choice": self.choice.value,
            "policy_version": self.policy_version,
        }


def new_receipt(site_id: int, choice: Choice, now: datetime, policy_version: str) -> Receipt:
    return Receipt(uuid.UUID(bytes=secrets.token_bytes(16)), site_id, now, choice, policy_version)


async def write_receipt(conn: asyncpg.Connection, receipt: Receipt) -> None:
    await conn.execute(
        query("insert_receipt"),
        receipt.site_id,
        receipt.receipt_id,
        receipt.ts,
        receipt.choice.value,
        receipt.policy_version,
    )


async def find_receipts(
    conn: asyncpg.Connection, ids: Sequence[uuid.UUID], site_ids: Sequence[int]
) -> list[Receipt]:
    if not ids:
        return []
    rows = await conn.fetch(query("receipts_by_id"), list(ids), [NO_SITE, *site_ids])
    return [
        Receipt(r["receipt_id"], r["site_id"], r["ts"], Choice(r["choice"]), r["policy_version"])
        for r in rows
    ]


async def purge_receipts(conn: asyncpg.Connection, before: datetime) -> int:
    """Delete receipts older than `before`; how many went. Idempotent."""
    status: str = await conn.execute(query("purge_receipts"), before)
    return int(status.rsplit(" ", 1)[1])


async def consent_stats(
    conn: asyncpg.Connection, site_id: int | None, first: date, last: date
) -> list[dict[str, Any]]:
    """Opt-ins, opt-outs and the opt-in share per UTC day, zeros included."""
    rows = await conn.fetch(query("consent_stats"), site_id, first, last)
    return [
        {
            "day": r["day"].isoformat(),
            "opt_ins": r["opt_ins"],
            "opt_outs": r["opt_outs"],
            "opt_in_rate": None if r["opt_in_rate"] is None else float(r["opt_in_rate"]),
        }
        for r in rows
    ]

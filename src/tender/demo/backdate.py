"""Move demo rows back to the moments the plan chose.

The real flows stamp `now()`; a history needs the past. After each payment has gone through
the flows, `backdate_demo_rows` rewrites only timestamps (never amounts or statuses) of the
rows that payment made, in one transaction, through the tables' owner login: history is
append-only for every API role (service_role included), so only the owner may rewrite
it. Stripe's own objects keep their real creation times. This is for demo data only:
`tender demo-data` is refused in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import text

from tender.db.engine import Database

OFFLINE_LIFETIME = {"cash_on_pickup": timedelta(days=3), "bank_transfer": timedelta(days=7)}


@dataclass(frozen=True)
class Stamp:
    order_id: UUID
    payment_id: UUID | None
    method: str
    at: datetime


_ORDER = text("UPDATE orders SET created_at = :at, updated_at = :done WHERE id = :id")
_PAYMENT = text(
    "UPDATE payments SET created_at = :at, updated_at = :done, "
    "received_at = CASE WHEN received_at IS NULL THEN NULL "
    "ELSE CAST(:received AS timestamptz) END, "
    "expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE CAST(:expires AS timestamptz) END "
    "WHERE id = :id"
)
_ERRORS = text("UPDATE payment_errors SET created_at = :done WHERE payment_id = :id")
_REFUNDS = text(
    "UPDATE refunds SET created_at = :refunded, updated_at = :refunded WHERE payment_id = :id"
)


async def backdate_demo_rows(owner: Database, stamps: list[Stamp]) -> int:
    """Give each stamped order and payment (and its errors and refunds) its planned time;
    `owner` logs in as the tables' owner (the migration login)."""
    now = datetime.now(UTC)

    def later(at: datetime, delta: timedelta) -> datetime:
        return min(at + delta, now)

    async with owner.engine.begin() as conn:
        for s in stamps:
            done = later(s.at, timedelta(seconds=20))
            await conn.execute(_ORDER, {"id": s.order_id, "at": s.at, "done": done})
            if s.payment_id is None:
                continue
            lifetime = OFFLINE_LIFETIME.get(s.method, timedelta(0))
            params = {
                "id": s.payment_id,
                "at": s.at,
                "done": done,
                "received": later(s.at, timedelta(hours=2)),
                "expires": s.at + lifetime,
                "refunded": later(s.at, timedelta(hours=6)),
            }
            await conn.execute(_PAYMENT, params)
            await conn.execute(_ERRORS, params)
            await conn.execute(_REFUNDS, params)
    return len(stamps)

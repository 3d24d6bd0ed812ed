"""Kill switches, read from the database by every instance (so a flip reaches all of them).

Names: `payment_maintenance` (payment endpoints answer 503), `accept_new_payments`
(false: no new payments; confirms, webhooks and offline completions go on) and
`method:<type>` (false: that payment method is disabled).
"""

from __future__ import annotations

import time

from sqlalchemy import text

from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.errors import ServiceUnavailable

MAINTENANCE = "payment_maintenance"
ACCEPT_NEW_PAYMENTS = "accept_new_payments"
DEFAULTS = {MAINTENANCE: False, ACCEPT_NEW_PAYMENTS: True}
REFRESH_SECONDS = 2.0  # how stale a switch may be on any instance


def method_switch(method_type: str) -> str:
    return f"method:{method_type}"


class KillSwitches:
    """A cached view of the `kill_switches` table, refreshed every REFRESH_SECONDS."""

    def __init__(self, db: Database, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._db = db
        self._refresh = refresh_seconds
        self._values: dict[str, bool] = {}
        self._loaded_at = float("-inf")

    async def values(self) -> dict[str, bool]:
        if time.monotonic() - self._loaded_at > self._refresh:
            async with self._db.transaction(DbContext.service("switches")) as conn:
                rows = await conn.execute(text("SELECT name, enabled FROM kill_switches"))
                self._values = {name: bool(enabled) for name, enabled in rows}
            self._loaded_at = time.monotonic()
        return {**DEFAULTS, **self._values}

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def is_on(self, name: str) -> bool:
        return (await self.values()).get(name, True)

    async def ensure_payments_open(self) -> None:
        """Raise 503 `payment_maintenance` while maintenance is on."""
        if (await self.values())[MAINTENANCE]:
            raise ServiceUnavailable(
                "Payments are paused for maintenance. Please try again shortly.",
                code="payment_maintenance",
                headers={"Retry-After": "60"},
            )

    async def ensure_new_payment_allowed(self, method_type: str) -> None:
        """Raise 503 unless new payments, and this method, are accepted right now."""
        await self.ensure_payments_open()
        values = await self.values()
        if not values[ACCEPT_NEW_PAYMENTS]:
            raise ServiceUnavailable(
                "New payments are paused. Payments already started will complete.",
                code="new_payments_paused",
                headers={"Retry-After": "300"},
            )
        if not values.get(method_switch(method_type), True):
            raise ServiceUnavailable(
                f"Payment method '{method_type}' is disabled right now.",
                code="payment_method_disabled",
            )

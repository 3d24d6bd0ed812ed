"""Kill switches, read from the database by every instance (so a flip reaches all of them).

Names: `payment_maintenance` (payment endpoints answer 503), `accept_new_payments`
(false: no new payments; confirms, webhooks and offline completions go on) and
`method:<type>` (false: that payment method is disabled).

Precedence: environment at start (PAYMENT_MAINTENANCE, ACCEPT_NEW_PAYMENTS,
DISABLED_PAYMENT_METHODS) > the `kill_switches` table > defaults. An environment value pins
the switch on that process until it restarts without it; every other change goes through
`set()` (CLI `tender switch`, endpoint `PUT /v1/ops/switches/{name}`) and is audited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from tender.config import Settings
from tender.controls import repository
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.domain.statuses import MethodType
from tender.errors import ServiceUnavailable, ValidationFailed

log = logging.getLogger(__name__)

MAINTENANCE = "payment_maintenance"
ACCEPT_NEW_PAYMENTS = "accept_new_payments"
METHOD_TYPES = tuple(MethodType)
DEFAULTS = {MAINTENANCE: False, ACCEPT_NEW_PAYMENTS: True}
REFRESH_SECONDS = 2.0  # how stale a switch may be on any instance
AUDIT_ACTION = "switch.set"


def method_switch(method_type: str) -> str:
    return f"method:{method_type}"


KNOWN = (MAINTENANCE, ACCEPT_NEW_PAYMENTS, *(method_switch(m) for m in METHOD_TYPES))


def env_overrides(settings: Settings) -> dict[str, bool]:
    """The switches this process was started with (they win over the table)."""
    pinned: dict[str, bool] = {}
    if settings.payment_maintenance is not None:
        pinned[MAINTENANCE] = settings.payment_maintenance
    if settings.accept_new_payments is not None:
        pinned[ACCEPT_NEW_PAYMENTS] = settings.accept_new_payments
    for method in settings.disabled_payment_methods:
        pinned[method_switch(method)] = False
    return pinned


@dataclass(frozen=True)
class SwitchState:
    name: str
    enabled: bool
    source: str  # env | database | default
    reason: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


class KillSwitches:
    """A cached view of the `kill_switches` table, refreshed every REFRESH_SECONDS."""

    def __init__(
        self,
        db: Database,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        overrides: dict[str, bool] | None = None,
    ) -> None:
        self._db = db
        self._refresh = refresh_seconds
        self._overrides = dict(overrides or {})
        self._values: dict[str, bool] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> KillSwitches:
        return cls(db, overrides=env_overrides(settings))

    @property
    def overrides(self) -> dict[str, bool]:
        return dict(self._overrides)

    async def values(self) -> dict[str, bool]:
        if time.monotonic() - self._loaded_at > self._refresh:
            async with self._lock:  # one refresh per instance, not one per waiting request
                if time.monotonic() - self._loaded_at > self._refresh:
                    await self._reload()
        return {**DEFAULTS, **self._values, **self._overrides}

    async def _reload(self) -> None:
        try:
            async with self._db.transaction(DbContext.service("switches")) as conn:
                self._values = await repository.switch_values(conn)
        except Exception:
            if self._loaded_at == float("-inf"):
                raise
            log.warning("kill switches unreadable; keeping the last known values", exc_info=True)
        self._loaded_at = time.monotonic()

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

    async def set(
        self, name: str, enabled: bool, *, actor: str, reason: str | None = None
    ) -> SwitchState:
        """Change a switch for every instance, audited (who, when, old, new) in one transaction."""
        if name not in KNOWN:
            raise ValidationFailed(
                f"Unknown switch '{name}'; known: {', '.join(KNOWN)}.", code="unknown_switch"
            )
        async with self._db.transaction(DbContext.service(actor)) as conn:
            old = await repository.lock_switch(conn, name)
            row = await repository.upsert_switch(conn, name, enabled, reason, actor)
            await repository.insert_audit(
                conn,
                actor=actor,
                action=AUDIT_ACTION,
                subject=name,
                old_value=None if old is None else {"enabled": old.enabled, "reason": old.reason},
                new_value={"enabled": enabled, "reason": reason},
            )
        self.invalidate()
        if name in self._overrides and self._overrides[name] != enabled:
            log.warning("switch %s is pinned by this process's environment", name)
        return SwitchState(
            name, row.enabled, "database", row.reason, row.updated_by, row.updated_at
        )

    async def states(self) -> list[SwitchState]:
        """Every known switch (and any other stored one) with its effective value and source."""
        async with self._db.transaction(DbContext.service("switches")) as conn:
            rows = {r.name: r for r in await repository.list_switches(conn)}
        states: list[SwitchState] = []
        for name in dict.fromkeys((*KNOWN, *rows)):
            row = rows.get(name)
            if name in self._overrides:
                source, enabled = "env", self._overrides[name]
            elif row is not None:
                source, enabled = "database", row.enabled
            else:
                source, enabled = "default", DEFAULTS.get(name, True)
            states.append(
                SwitchState(
                    name,
                    enabled,
                    source,
                    row.reason if row else None,
                    row.updated_by if row else None,
                    row.updated_at if row else None,
                )
            )
        return states

    async def history(self, limit: int = 50) -> list[repository.AuditRow]:
        async with self._db.transaction(DbContext.service("switches")) as conn:
            return await repository.audit_history(conn, action_prefix=AUDIT_ACTION, limit=limit)

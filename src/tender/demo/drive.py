"""Run a demo plan through Tender's real flows (orders, payments, offline, refunds) and the
Stripe API in use (the offline test mode, or Stripe in test mode), then backdate the rows."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tender.auth.principal import Principal
from tender.db.engine import Database
from tender.demo.backdate import Stamp, backdate_demo_rows
from tender.demo.plan import GOOD_CARDS, THREE_DS, PlannedPayment
from tender.errors import TenderError
from tender.orders import flows as orders
from tender.payments import offline
from tender.payments import service as payments
from tender.refunds import service as refunds
from tender.runtime import Runtime

OPERATOR = Principal(role="service_role", user_id=None, claims={"sub": "demo-data"})


@dataclass
class DemoResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    stamps: list[Stamp] = field(default_factory=list)


def _user(index: int, run: UUID) -> Principal:
    user = uuid.uuid5(run, f"demo-user-{index}")
    claims = {"sub": str(user), "role": "authenticated"}
    return Principal(role="authenticated", user_id=user, claims=claims)


class DemoDriver:
    """Drives each planned payment; `offline` says 3-D Secure can be answered (/_test/)."""

    def __init__(self, runtime: Runtime, *, offline_mode: bool) -> None:
        self.runtime = runtime
        self.offline_mode = offline_mode
        self.run = uuid.uuid4()

    async def _authenticate(self, intent_id: str, approve: bool) -> None:
        base = (self.runtime.settings.stripe_api_base or "").rstrip("/")
        outcome = "succeed" if approve else "fail"
        resp = await self.runtime.http.post(
            f"{base}/_test/payment_intents/{intent_id}/authenticate", data={"outcome": outcome}
        )
        resp.raise_for_status()

    async def _confirm(self, who: Principal, payment_id: UUID, method: str | None) -> str:
        try:
            answer = await payments.confirm_payment(
                self.runtime, who, payment_id=payment_id, intent_id=None,
                payment_method=method, saved_method_id=None, return_url=None,
            )  # fmt: skip
        except TenderError as error:
            if error.status_code == 402:
                return "declined"
            raise
        return str(answer.body["status"])

    async def _card(self, who: Principal, order_id: UUID, p: PlannedPayment) -> tuple[UUID, str]:
        made = (
            await payments.create_card_payment(
                self.runtime, who, amount=None, currency=None, order_id=order_id, key=None,
                payload={},
            )
        ).body  # fmt: skip
        payment_id = UUID(made["payment_id"])
        card = p.card if (p.card != THREE_DS or self.offline_mode) else GOOD_CARDS[0]
        status = await self._confirm(who, payment_id, card)
        if status == "requires_action":
            await self._authenticate(made["payment_intent_id"], bool(p.three_ds_approved))
            status = await self._confirm(who, payment_id, None)
            status = "declined" if status == "requires_payment_method" else status
        if status == "declined" and p.retry_card:
            status = await self._confirm(who, payment_id, p.retry_card)
        if status == "succeeded" and p.refund:
            await refunds.refund_payment(
                self.runtime, OPERATOR, payment_id=payment_id, amount=p.refund,
                reason="requested_by_customer", idempotency_key=f"demo-{payment_id}",
            )  # fmt: skip
            status = "refunded" if p.refund >= p.amount else "partially_refunded"
        return payment_id, status

    async def _offline(self, who: Principal, order_id: UUID, p: PlannedPayment) -> tuple[UUID, str]:
        _, made = await offline.choose_offline(self.runtime, who, order_id, p.method, None)
        payment_id = UUID(made["payment_id"])
        if p.received:
            await offline.mark_received(self.runtime, OPERATOR, payment_id)
            return payment_id, "succeeded"
        return payment_id, "pending"

    async def one(self, p: PlannedPayment) -> tuple[Stamp, str]:
        who = _user(p.user, self.run)
        body: dict[str, Any] = {
            "amount": p.amount,
            "currency": "usd",
            "description": f"Demo order ({p.method.replace('_', ' ')})",
            "metadata": {"demo": True},
        }
        _, order = await orders.create_order(self.runtime, who, body, None)
        order_id = UUID(order["id"])
        drive = self._card if p.method == "card" else self._offline
        payment_id, status = await drive(who, order_id, p)
        return Stamp(order_id, payment_id, p.method, p.at), f"{p.method}:{status}"


async def drive_plan(
    runtime: Runtime,
    planned: list[PlannedPayment],
    *,
    owner: Database,
    concurrency: int = 4,
    advance: Callable[[], None] = lambda: None,
) -> DemoResult:
    """Every planned payment through the flows (a few at a time), then the backdating
    through `owner`, the tables' owner login."""
    driver = DemoDriver(runtime, offline_mode=bool(runtime.settings.stripe_api_base))
    result = DemoResult()
    gate = asyncio.Semaphore(concurrency)

    async def run(p: PlannedPayment) -> None:
        async with gate:
            try:
                stamp, outcome = await driver.one(p)
                result.stamps.append(stamp)
                result.outcomes[outcome] += 1
            except TenderError as error:
                result.outcomes[f"error:{error.code}"] += 1
            advance()

    await asyncio.gather(*(run(p) for p in planned))
    await backdate_demo_rows(owner, result.stamps)
    return result

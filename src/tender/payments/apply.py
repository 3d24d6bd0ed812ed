"""Apply what Stripe says to Tender's payment, within the state machine, order included.

This is the one place a PaymentIntent's state enters Tender: confirm answers, webhooks and
reconciliation all call `apply_payment_intent`. It is safe to call any number of times, in
any order: an observation older than the one stored is ignored, a move the state machine
forbids is skipped, and the order follows its payment in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.orders import service as orders
from tender.payments import repository, states
from tender.telemetry.recorder import Recorder

Payment = dict[str, Any]


@dataclass(frozen=True)
class Applied:
    """The payment after applying (None if the intent is not Tender's) and what happened."""

    payment: Payment | None
    outcome: str  # updated | unchanged | stale | refused | unknown

    @property
    def changed(self) -> bool:
        return self.outcome == "updated"


def _when(observed_at: datetime | int | None) -> datetime:
    if observed_at is None:
        return datetime.now(UTC)
    if isinstance(observed_at, int):
        return datetime.fromtimestamp(observed_at, UTC)
    return observed_at


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(_get(value, "id"))


async def _find(conn: AsyncConnection, intent: Any) -> Payment | None:
    payment = await repository.get_by_intent(conn, str(_get(intent, "id")), lock=True)
    if payment is not None:
        return payment
    # A crash after Stripe created the intent but before Tender stored its id: the intent
    # carries Tender's payment id in its metadata.
    raw = _get(_get(intent, "metadata") or {}, "tender_payment_id")
    try:
        payment_id = UUID(str(raw))
    except ValueError:
        return None
    payment = await repository.get_payment(conn, payment_id, lock=True)
    if payment is None or payment["stripe_payment_intent_id"] not in (None, _get(intent, "id")):
        return None
    return payment


async def apply_payment_intent_in(
    conn: AsyncConnection,
    intent: Mapping[str, Any] | Any,
    *,
    source: str,
    observed_at: datetime | int | None = None,
    recorder: Recorder | None = None,
) -> Applied:
    """Apply `intent` inside an open transaction (see module docstring)."""
    at = _when(observed_at)
    payment = await _find(conn, intent)
    if payment is None:
        return Applied(None, "unknown")
    if payment["stripe_state_at"] is not None and at < payment["stripe_state_at"]:
        return Applied(payment, "stale")
    new = states.from_intent(str(_get(intent, "status")))
    old = payment["status"]
    if old in states.PAID and new == "succeeded":
        new = old  # refunds are tracked by Tender on top of a succeeded intent
    if not states.can_move(old, new):
        return Applied(payment, "refused")
    error = _get(intent, "last_payment_error")
    error_code = _get(error, "decline_code") or _get(error, "code") if error else None
    updated = await repository.update_from_intent(
        conn,
        payment["id"],
        status=new,
        intent_id=str(_get(intent, "id")),
        customer=_id(_get(intent, "customer")),
        client_secret=_get(intent, "client_secret"),
        last_error_code=error_code if new == "requires_payment_method" else None,
        observed_at=at,
    )
    if new == old and payment["stripe_payment_intent_id"] is not None:
        return Applied(updated, "unchanged")
    if updated["order_id"] is not None:
        await orders.follow_payment(conn, updated["order_id"], new, updated["method_type"])
    if recorder is not None and new != old and new in ("succeeded", "canceled"):
        recorder.payment(updated["method_type"], new)
    return Applied(updated, "updated")


async def settled_intent(conn: AsyncConnection, intent_id: str) -> bool:
    """True when the intent's payment is paid: Stripe's `succeeded` is final, so no later
    observation of the intent can change the payment (refunds arrive as charge events)."""
    payment = await repository.get_by_intent(conn, intent_id)
    return payment is not None and payment["status"] in states.PAID


async def apply_payment_intent(
    db: Database,
    intent: Mapping[str, Any] | Any,
    *,
    source: str,
    event_created: int | None = None,
    observed_at: datetime | None = None,
    recorder: Recorder | None = None,
) -> Applied:
    """Apply a Stripe PaymentIntent (dict or SDK object) to its payment and order.

    `observed_at` (or `event_created`, unix seconds) is when Stripe's state was read; pass
    the time just before the call that read it. Runs as service_role in its own short
    transaction. Reconciliation calls this with each intent it lists or retrieves.
    """
    when: datetime | int | None = observed_at or event_created
    async with db.transaction(DbContext.service(f"apply:{source}")) as conn:
        return await apply_payment_intent_in(
            conn, intent, source=source, observed_at=when, recorder=recorder
        )


async def record_error(
    conn: AsyncConnection,
    payment: Payment,
    *,
    code: str,
    decline_code: str | None,
    message: str,
    request_id: str | None,
) -> bool:
    """Add a payment_errors row once per (payment, Stripe request)."""
    return await repository.insert_error(
        conn,
        user_id=payment["user_id"],
        payment_id=payment["id"],
        error_code=code,
        decline_code=decline_code,
        message=message,
        request_id=request_id,
    )


async def apply_charge_refund(conn: AsyncConnection, charge: Mapping[str, Any] | Any) -> Applied:
    """Apply a charge's amount_refunded (never decreasing) to its payment and order.

    `charge` must be Stripe's current copy (the webhook inbox re-reads it): an event's own
    copy may be stale or replayed. A charge whose amounts are not whole non-negative numbers
    in the payment's currency is refused, never half-applied."""
    intent_id = _id(_get(charge, "payment_intent"))
    if intent_id is None:
        return Applied(None, "unknown")
    payment = await repository.get_by_intent(conn, intent_id, lock=True)
    if payment is None:
        return Applied(None, "unknown")
    amount_refunded = _get(charge, "amount_refunded")
    currency = _get(charge, "currency")
    if (
        not isinstance(amount_refunded, int)
        or isinstance(amount_refunded, bool)
        or amount_refunded < 0
        or (currency is not None and currency != payment["currency"])
    ):
        return Applied(payment, "refused")
    refunded = max(amount_refunded, payment["amount_refunded"])
    if refunded <= payment["amount_refunded"] or payment["status"] not in states.PAID:
        return Applied(payment, "unchanged")
    status = "refunded" if refunded >= payment["amount"] else "partially_refunded"
    if not states.can_move(payment["status"], status):
        return Applied(payment, "refused")
    updated = await repository.set_refunded(
        conn, payment["id"], min(refunded, payment["amount"]), status
    )
    if updated["order_id"] is not None:
        await orders.follow_payment(conn, updated["order_id"], status, updated["method_type"])
    return Applied(updated, "updated")

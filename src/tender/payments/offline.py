"""Offline payments: cash on pickup and bank transfer, pending until received or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from tender import idempotency
from tender.auth.principal import Principal
from tender.config import Settings
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.errors import Conflict, NotFound, ValidationFailed
from tender.kit.ids import bank_reference
from tender.kit.money import to_major
from tender.kit.times import iso
from tender.methods import service as methods
from tender.orders import service as orders
from tender.payments import repository, states
from tender.payments.views import public
from tender.runtime import Runtime

LIFETIME = {"cash_on_pickup": timedelta(days=3), "bank_transfer": timedelta(days=7)}
OPERATION = "offline-payment"


# Shown in development and test when BANK_TRANSFER_* is unset; production refuses to start
# without real details (config.production_problems). The IBAN is the standard example one.
TEST_BANK_ACCOUNT: dict[str, str | None] = {
    "account_holder": "Tender Test Merchant (TEST DATA, not a real account)",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "account_number": None,
    "routing_number": None,
    "bank_name": "Test Bank (TEST DATA)",
}


def bank_account(settings: Settings) -> dict[str, str | None]:
    """Where transfers go: the BANK_TRANSFER_* settings, or marked test data outside production."""
    configured = {
        "account_holder": settings.bank_transfer_account_holder,
        "iban": settings.bank_transfer_iban,
        "bic": settings.bank_transfer_bic,
        "account_number": settings.bank_transfer_account_number,
        "routing_number": settings.bank_transfer_routing_number,
        "bank_name": settings.bank_transfer_bank_name,
    }
    if configured["account_holder"] or settings.is_production:
        return configured
    return dict(TEST_BANK_ACCOUNT)


def account_text(account: dict[str, str | None]) -> str:
    parts = [f"account holder {account['account_holder']}"]
    if account["iban"]:
        parts.append(f"IBAN {account['iban']}")
    if account["bic"]:
        parts.append(f"BIC {account['bic']}")
    if account["account_number"]:
        parts.append(f"account number {account['account_number']}")
    if account["routing_number"]:
        parts.append(f"routing number {account['routing_number']}")
    return ", ".join(parts)


def instructions(payment: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What the customer must do to complete an offline payment."""
    amount = f"{to_major(payment['amount'], payment['currency'])} {payment['currency'].upper()}"
    deadline = iso(payment["expires_at"])
    common = {
        "amount": payment["amount"],
        "currency": payment["currency"],
        "amount_display": amount,
        "pay_before": deadline,
    }
    if payment["method_type"] == "bank_transfer":
        account = bank_account(settings)
        text = (
            f"Transfer {amount} to {account_text(account)}, quoting the reference "
            f"{payment['bank_reference']} exactly, before {deadline}."
        )
        return {
            "type": "bank_transfer",
            **common,
            "reference": payment["bank_reference"],
            "bank_account": account,
            "text": text,
        }
    return {
        "type": "cash_on_pickup",
        **common,
        "text": f"Pay {amount} in cash when you pick up your order, before {deadline}.",
    }


def offline_view(payment: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A payment plus its instructions."""
    return {**public(payment), "instructions": instructions(payment, settings)}


def _never_reached_stripe(payment: dict[str, Any]) -> bool:
    """A card payment whose PaymentIntent was never created (or never answered)."""
    return (
        payment["method_type"] == "card"
        and payment["stripe_payment_intent_id"] is None
        and payment["status"] == "pending"
    )


async def choose_offline(
    runtime: Runtime,
    principal: Principal,
    order_id: UUID,
    method_type: str,
    key: str | None,
) -> tuple[int, dict[str, Any]]:
    """Start a cash or bank-transfer payment for an order (or return the one in progress)."""
    if method_type not in states.OFFLINE_TYPES:
        raise ValidationFailed("method must be cash_on_pickup or bank_transfer.", code="bad_method")
    await runtime.switches.ensure_new_payment_allowed(method_type)
    assert principal.user_id is not None
    user = principal.user_id
    payload = {"order_id": str(order_id), "method": method_type}
    for _ in range(3):  # a bank reference collision (about 1 in 10^12) just tries again
        try:
            async with runtime.db.transaction(principal.db_context()) as conn:
                if key is not None:
                    claim = await idempotency.claim(conn, user, key, OPERATION, payload)
                    if claim.finished:
                        return claim.answer()
                order = await orders.payable_order(conn, order_id)
                payment = await repository.open_payment_for_order(conn, order_id)
                if payment is not None and _never_reached_stripe(payment):
                    # The card start failed (503 provider_unavailable: no client_secret was
                    # given out, nothing can be confirmed): the fallback replaces it.
                    await repository.set_status(conn, payment["id"], "canceled")
                    payment = None
                if payment is not None and payment["method_type"] != method_type:
                    raise Conflict(
                        f"This order already has a {payment['method_type']} payment.",
                        code="payment_in_progress",
                        extra={"payment_id": str(payment["id"])},
                    )
                if payment is None:
                    method_id = await methods.ensure_offline_method(conn, user, method_type)
                    payment = await repository.insert_payment(
                        conn,
                        user_id=user,
                        order_id=order_id,
                        method_type=method_type,
                        amount=order["amount"],
                        currency=order["currency"],
                        payment_method_id=method_id,
                        bank_reference=(
                            bank_reference() if method_type == "bank_transfer" else None
                        ),
                        expires_at=datetime.now(UTC) + LIFETIME[method_type],
                    )
                    await orders.follow_payment(conn, order_id, "pending", method_type)
                body = offline_view(payment, runtime.settings)
                if key is not None:
                    await idempotency.finish(conn, user, key, 201, body)
            runtime.recorder.payment(method_type, "created")
            return 201, body
        except IntegrityError as exc:
            if "bank_reference" not in str(exc.orig):
                raise
    raise Conflict("Could not allocate a bank reference; retry.", code="reference_collision")


async def mark_received(runtime: Runtime, principal: Principal, payment_id: UUID) -> dict[str, Any]:
    """Service role: the cash or transfer arrived; the payment succeeds and the order is paid."""
    async with runtime.db.transaction(DbContext.service(principal.actor)) as conn:
        payment = await repository.get_payment(conn, payment_id, lock=True)
        if payment is None:
            raise NotFound("No such payment.", code="payment_not_found")
        if payment["method_type"] == "card":
            raise ValidationFailed("Card payments complete through Stripe.", code="not_offline")
        if payment["status"] in states.PAID:
            return offline_view(payment, runtime.settings)
        if payment["status"] != "pending":
            raise Conflict(
                f"This payment is {payment['status']} and cannot be marked received.",
                code="payment_not_pending",
            )
        updated = await repository.set_status(conn, payment_id, "succeeded", received=True)
        assert updated["order_id"] is not None
        await orders.follow_payment(conn, updated["order_id"], "succeeded", updated["method_type"])
        await repository.audit(
            conn, principal.actor, "payment.mark_received", f"payment:{payment_id}",
            {"status": payment["status"]}, {"status": "succeeded"},
        )  # fmt: skip
    runtime.recorder.payment(updated["method_type"], "succeeded")
    return offline_view(updated, runtime.settings)


async def expire_offline_payments(db: Database, now: datetime | None = None) -> int:
    """Expire offline payments past their deadline (and their orders); returns how many."""
    async with db.transaction(DbContext.service("expiry")) as conn:
        expired = await repository.expire_offline(conn, now or datetime.now(UTC))
        for payment in expired:
            if payment["order_id"] is not None:
                await orders.follow_payment(
                    conn, payment["order_id"], "expired", payment["method_type"]
                )
    return len(expired)

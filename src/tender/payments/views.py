"""The API shapes of a payment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tender.kit.times import iso as _iso


def public(payment: dict[str, Any]) -> dict[str, Any]:
    """A payment as its owner sees it (seed names: payment_id, payment_intent_id, ...)."""
    return {
        "payment_id": str(payment["id"]),
        "id": str(payment["id"]),
        "order_id": str(payment["order_id"]) if payment["order_id"] else None,
        "method_type": payment["method_type"],
        "amount": payment["amount"],
        "amount_refunded": payment["amount_refunded"],
        "currency": payment["currency"],
        "status": payment["status"],
        "payment_intent_id": payment["stripe_payment_intent_id"],
        "client_secret": payment["client_secret"],
        "last_error_code": payment["last_error_code"],
        "bank_reference": payment["bank_reference"],
        "expires_at": _iso(payment["expires_at"]),
        "received_at": _iso(payment["received_at"]),
        "created_at": _iso(payment["created_at"]),
        "updated_at": _iso(payment["updated_at"]),
    }


def with_action(body: dict[str, Any], intent: dict[str, Any] | None) -> dict[str, Any]:
    """Add what the client needs for 3-D Secure when the payment requires action."""
    action = intent.get("next_action") if intent else None
    return {
        **body,
        "requires_action": body["status"] == "requires_action",
        "next_action": action if body["status"] == "requires_action" else None,
    }


@dataclass(frozen=True)
class Answer:
    """An HTTP answer a payment operation gives: status, body and headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def replayed(cls, status: int, body: dict[str, Any]) -> Answer:
        """The stored answer of an Idempotency-Key, marked as a replay."""
        return cls(status, body, {"Idempotent-Replayed": "true"})


PROCESSING_RETRY_AFTER = "2"


def processing(body: dict[str, Any]) -> Answer:
    """202: Stripe's outcome is not known yet; poll `GET /v1/payments/{id}`."""
    return Answer(202, {**body, "status": "processing"}, {"Retry-After": PROCESSING_RETRY_AFTER})

"""Fixture-shaped object builders: clone a template from ``shapes`` and fill in values."""

from __future__ import annotations

import secrets
from typing import Any

from tender_testmode.cards import TestCard
from tender_testmode.shapes import TEMPLATES
from tender_testmode.store import Obj, new_id, now


def clone(value: Any) -> Any:
    """Deep copy for JSON-like data; much faster than ``copy.deepcopy``."""
    t = type(value)
    if t is dict:
        return {k: clone(v) for k, v in value.items()}
    if t is list:
        return [clone(v) for v in value]
    return value


def _new(kind: str, prefix: str) -> Obj:
    obj: Obj = clone(TEMPLATES[kind])
    obj["id"] = new_id(prefix)
    obj["created"] = now()
    return obj


def client_secret(obj_id: str) -> str:
    return f"{obj_id}_secret_{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"


def list_object(data: list[Obj], url: str, has_more: bool = False) -> Obj:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def customer(params: dict[str, Any]) -> Obj:
    obj = _new("customer", "cus")
    obj["invoice_prefix"] = secrets.token_hex(4).upper()
    for key in ("email", "name", "phone", "description"):
        if key in params:
            obj[key] = params[key] or None
    obj["metadata"] = dict(params.get("metadata") or {})
    return obj


def payment_method(
    card: TestCard,
    exp_month: int,
    exp_year: int,
    *,
    cvc_given: bool,
    billing_details: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
) -> Obj:
    obj = _new("payment_method", "pm")
    c = obj["card"]
    c["brand"] = card.brand
    c["display_brand"] = card.brand.replace("amex", "american_express")
    c["country"] = card.country
    c["exp_month"] = exp_month
    c["exp_year"] = exp_year
    c["fingerprint"] = card.fingerprint
    c["funding"] = card.funding
    c["last4"] = card.last4
    c["networks"]["available"] = [card.brand]
    c["checks"]["cvc_check"] = "unchecked" if cvc_given else None
    c["three_d_secure_usage"]["supported"] = True
    if billing_details:
        bd = obj["billing_details"]
        for key in ("email", "name", "phone"):
            if key in billing_details:
                bd[key] = billing_details[key] or None
        address = billing_details.get("address")
        if isinstance(address, dict):
            for key in bd["address"]:
                if key in address:
                    bd["address"][key] = address[key] or None
    obj["metadata"] = dict(metadata or {})
    return obj


def payment_intent(amount: int, currency: str) -> Obj:
    obj = _new("payment_intent", "pi")
    obj["amount"] = amount
    obj["currency"] = currency
    obj["client_secret"] = client_secret(obj["id"])
    obj["metadata"] = {}
    obj["payment_method_options"] = {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    }
    return obj


def setup_intent() -> Obj:
    obj = _new("setup_intent", "seti")
    obj["client_secret"] = client_secret(obj["id"])
    obj["metadata"] = {}
    return obj


def charge(pi: Obj, pm: Obj, *, captured: bool, succeeded: bool, three_ds: bool) -> Obj:
    obj = _new("charge", "ch")
    amount = pi["amount"]
    obj["amount"] = amount
    obj["amount_captured"] = amount if captured and succeeded else 0
    obj["captured"] = captured and succeeded
    obj["paid"] = succeeded
    obj["status"] = "succeeded" if succeeded else "failed"
    obj["currency"] = pi["currency"]
    obj["customer"] = pi["customer"]
    obj["description"] = pi["description"]
    obj["metadata"] = dict(pi["metadata"])
    obj["payment_intent"] = pi["id"]
    obj["payment_method"] = pm["id"]
    obj["balance_transaction"] = new_id("txn") if succeeded else None
    obj["billing_details"] = clone(pm["billing_details"])
    obj["receipt_url"] = f"https://pay.stripe.com/receipts/payment/{obj['id']}"
    obj["refunds"]["url"] = f"/v1/charges/{obj['id']}/refunds"
    pmc = pm["card"]
    card = obj["payment_method_details"]["card"]
    for key in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4"):
        card[key] = pmc[key]
    card["network"] = pmc["brand"]
    card["amount_authorized"] = amount
    card["overcapture"]["maximum_amount_capturable"] = amount
    card["authorization_code"] = secrets.token_hex(3) if succeeded else None
    card["network_transaction_id"] = secrets.token_hex(8) if succeeded else None
    if three_ds:
        card["three_d_secure"] = {
            "authentication_flow": "challenge",
            "electronic_commerce_indicator": "05",
            "exemption_indicator": None,
            "result": "authenticated",
            "result_reason": None,
            "transaction_id": secrets.token_hex(16),
            "version": "2.2.0",
        }
    return obj


def refund(ch: Obj, amount: int, reason: str | None, metadata: dict[str, Any] | None) -> Obj:
    obj = _new("refund", "re")
    obj["amount"] = amount
    obj["charge"] = ch["id"]
    obj["currency"] = ch["currency"]
    obj["payment_intent"] = ch["payment_intent"]
    obj["payment_method"] = ch["payment_method"]
    obj["customer"] = ch["customer"]
    obj["reason"] = reason
    obj["balance_transaction"] = new_id("txn")
    obj["metadata"] = dict(metadata or {})
    return obj


def webhook_endpoint(url: str, enabled_events: list[str]) -> Obj:
    obj = _new("webhook_endpoint", "we")
    obj["url"] = url
    obj["enabled_events"] = enabled_events
    obj["metadata"] = {}
    return obj


def event(
    type_: str,
    snapshot: Obj,
    previous: dict[str, Any] | None,
    api_version: str,
    request_id: str | None,
    idempotency_key: str | None,
    pending_webhooks: int,
) -> Obj:
    data: Obj = {"object": snapshot}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "api_version": api_version,
        "created": now(),
        "data": data,
        "id": new_id("evt"),
        "livemode": False,
        "object": "event",
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": type_,
    }


def balance() -> Obj:
    obj: Obj = clone(TEMPLATES["balance"])
    return obj

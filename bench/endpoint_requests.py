"""One request per API endpoint that passes auth and validation, so it reaches the database:
used to prove (tests) and measure (bench/faults.py) that a cut database is a 503 everywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from uuid import uuid4

import httpx

from tender.auth.tokens import mint_token

CREATE, CONFIRM = "/functions/v1/create-payment-intent", "/functions/v1/confirm-payment"
SERVICE_PATHS = ("/v1/ops", "/v1/refunds", "/v1/reports", "/v1/alerts", "/console/api")


def signed_event(webhook_secret: str) -> tuple[bytes, str]:
    """A validly signed `payment_intent.succeeded` event and its Stripe-Signature header."""
    obj = {"id": "pi_unknown_db_down", "object": "payment_intent", "status": "succeeded"}
    event = {
        "id": f"evt_{uuid4().hex}",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": obj},
    }
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(webhook_secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return payload, f"t={stamp},v1={mac.hexdigest()}"


def endpoint_request(
    method: str, path: str, *, jwt_secret: str, webhook_secret: str
) -> dict[str, Any]:
    """Keyword arguments for `httpx.AsyncClient.request` that reach `method path`'s handler."""
    some = str(uuid4())
    link = "cs_" + uuid4().hex  # a well-formed checkout link that names no session
    path = path.format(
        payment_id=some, order_id=some, method_id=some, name="accept_new_payments", token=link
    )
    if path.startswith("/v1/reports/"):
        path = "/v1/reports/payment-status"
    service = path.startswith(SERVICE_PATHS) or path.endswith(("/mark-received", "/expire-offline"))
    token = (
        mint_token(jwt_secret, user_id=None, role="service_role", extra={"sub": "ops"})
        if service
        else mint_token(jwt_secret, user_id=uuid4())
    )
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"k-{some}"}
    bodies: dict[str, Any] = {
        CREATE: {"amount": 2500, "currency": "usd"},
        CONFIRM: {"payment_id": some, "payment_method": "pm_card_visa"},
        "/v1/orders": {"amount": 2500, "currency": "usd"},
        f"/v1/orders/{some}/offline-payment": {"method": "cash_on_pickup"},
        "/v1/ops/switches/accept_new_payments": {"enabled": True, "reason": "fault test"},
        "/v1/payment-methods": {"payment_method_id": "pm_card_visa"},
        "/v1/refunds": {"payment_id": some},
    }
    request: dict[str, Any] = {"method": method, "url": path, "headers": headers}
    if path == "/v1/refunds" and method == "GET":
        request["params"] = {"payment_id": some}
    if path == "/functions/v1/stripe-webhook":
        payload, signature = signed_event(webhook_secret)
        request.update(content=payload, headers={"Stripe-Signature": signature})
    elif method in ("POST", "PUT") and path in bodies:
        request["json"] = bodies[path]
    return request


async def every_endpoint(api: httpx.AsyncClient) -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation in the app's OpenAPI document."""
    paths = (await api.get("/openapi.json")).json()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() for m in ops]

"""Tender's own cost: the same operations measured through Tender, directly against the
test mode, and as a bare database round trip, one at a time, in the same run."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
import uuid
from typing import Any

import asyncpg
import httpx
import jwt
import stripe

from bench.stack import JWT_SECRET, SECRET_KEY, Stack

SAMPLES = 200
EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_method.attached",
    "payment_method.detached",
    "charge.refunded",
]


def _client(stack: Stack) -> stripe.StripeClient:
    return stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": stack.emulator_url}, http_client=stripe.HTTPXClient()
    )


async def register_webhook(stack: Stack) -> None:
    """Point the test mode's deliveries at Tender, as the dashboard's webhook setting does."""
    await _client(stack).v1.webhook_endpoints.create_async(
        {"url": stack.tender_url + "/functions/v1/stripe-webhook", "enabled_events": EVENTS}
    )


class ConnectionCounter:
    """Polls pg_stat_activity for the bench database's connections while the load runs."""

    def __init__(self, owner_url: str) -> None:
        self.url = owner_url
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._poll()), daemon=True)

    async def _poll(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                count = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                self.peak = max(self.peak, int(count) - 1)  # minus this poller
                await asyncio.sleep(0.5)
        finally:
            await conn.close()

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _direct_stripe(stack: Stack) -> tuple[float, float]:
    client = _client(stack)
    creates, confirms = [], []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        intent = await client.v1.payment_intents.create_async(
            {"amount": 2500, "currency": "usd", "payment_method_types": ["card"]}
        )
        t1 = time.perf_counter()
        await client.v1.payment_intents.confirm_async(intent.id, {"payment_method": "pm_card_visa"})
        confirms.append(time.perf_counter() - t1)
        creates.append(t1 - t0)
    return _p50(creates), _p50(confirms)


async def _db_round_trip(stack: Stack) -> float:
    conn = await asyncpg.connect(stack.app_url)
    try:
        samples = []
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            await conn.fetchval("SELECT 1")
            samples.append(time.perf_counter() - t0)
        return _p50(samples)
    finally:
        await conn.close()


async def _through_tender(stack: Stack) -> dict[str, float]:
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": str(uuid.uuid4()),
            "role": "authenticated",
            "aud": "authenticated",
            "iat": now,
            "exp": now + 600,
        },
        JWT_SECRET,
        algorithm="HS256",
    )
    times: dict[str, list[float]] = {
        k: []
        for k in ("create-payment-intent", "confirm-payment", "get-payment", "list-payment-methods")
    }
    async with httpx.AsyncClient(
        base_url=stack.tender_url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            await http.get("/v1/payment-methods")
            t1 = time.perf_counter()
            created = (
                await http.post(
                    "/functions/v1/create-payment-intent", json={"amount": 2500, "currency": "usd"}
                )
            ).json()
            t2 = time.perf_counter()
            await http.post(
                "/functions/v1/confirm-payment",
                json={"payment_id": created["payment_id"], "payment_method": "pm_card_visa"},
            )
            t3 = time.perf_counter()
            await http.get(f"/v1/payments/{created['payment_id']}")
            t4 = time.perf_counter()
            times["list-payment-methods"].append(t1 - t0)
            times["create-payment-intent"].append(t2 - t1)
            times["confirm-payment"].append(t3 - t2)
            times["get-payment"].append(t4 - t3)
    return {name: _p50(values) for name, values in times.items()}


async def measure(stack: Stack, _load_ops: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """p50 of each operation through Tender vs. its direct counterpart, one at a time."""
    tender = await _through_tender(stack)
    create, confirm = await _direct_stripe(stack)
    db = await _db_round_trip(stack)
    direct = {
        "create-payment-intent": (create, "test mode create"),
        "confirm-payment": (confirm, "test mode confirm"),
        "get-payment": (db, "SELECT 1"),
        "list-payment-methods": (db, "SELECT 1"),
    }
    return {
        name: {
            "tender_p50": tender[name],
            "direct_p50": value,
            "direct": label,
            "ratio": tender[name] / value if value else 0.0,
        }
        for name, (value, label) in direct.items()
    }

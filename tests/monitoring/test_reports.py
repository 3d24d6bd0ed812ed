"""The seed's three SQL queries, run verbatim, return what the reports show (API and CLI)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tender.app import create_app
from tender.monitoring.reports import json_safe
from tender.runtime import Runtime
from tests.conftest import bearer
from tests.db.test_migrations import SEED_MONITORING_QUERIES
from tests.monitoring import data

SEED_SECTIONS = ("payment-status", "seed-method-usage", "error-codes")


def _canon(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
    return sorted(tuple(sorted(r.items())) for r in rows)


async def test_reports_equal_the_seed_queries(
    mon_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    card = await data.payment_method(sql, "card")
    cash = await data.payment_method(sql, "cash_on_pickup")
    for amount in (1000, 2000, 3000):
        await data.payment(sql, amount=amount, method_id=card)
    await data.payment(sql, status="requires_payment_method", error="card_declined",
                       method_id=card)  # fmt: skip
    await data.payment(sql, status="pending", method_type="cash_on_pickup", method_id=cash)
    await data.payment(sql, amount=9999, age="3 days", method_id=card)  # outside 24 h
    await data.payment_error(sql, "card_declined", count=3)
    await data.payment_error(sql, "expired_card", age="2 hours")
    await data.payment_error(sql, "card_declined", age="30 hours")  # outside 24 h
    await sql.execute(
        "INSERT INTO refunds (user_id, payment_id, amount, currency, status) "
        "SELECT user_id, id, 500, currency, 'succeeded' FROM payments WHERE amount = 1000"
    )

    transport = httpx.ASGITransport(app=create_app(mon_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = bearer(None, role="service_role")
        everything = await client.get("/v1/reports", headers=headers)
        assert everything.status_code == 200
        sections = {s["name"]: s for s in everything.json()["sections"]}
        sections["seed-method-usage"] = (
            await client.get("/v1/reports/seed-method-usage", headers=headers)
        ).json()
        for name, query in zip(SEED_SECTIONS, SEED_MONITORING_QUERIES, strict=True):
            seed_rows = [json_safe(dict(r)) for r in await sql.fetch(query)]
            assert seed_rows, name
            one = await client.get(f"/v1/reports/{name}", headers=headers)
            assert one.status_code == 200
            assert _canon(one.json()["rows"]) == _canon(seed_rows), name
            assert _canon(sections[name]["rows"]) == _canon(seed_rows), name
        status = {r["status"]: r for r in sections["payment-status"]["rows"]}
        assert status["succeeded"]["count"] == 3
        assert status["succeeded"]["percentage"] == 60.0
        [usd] = sections["revenue"]["rows"]
        assert usd == {"currency": "usd", "payments": 3, "gross": "60.00", "refunded": "0.00",
                       "net": "60.00"}  # fmt: skip
        assert sections["refunds"]["rows"] == [
            {"status": "succeeded", "currency": "usd", "refunds": 1, "amount": "5.00"}
        ]
        forbidden = await client.get("/v1/reports", headers=bearer(data_user()))
        assert forbidden.status_code == 403
        missing = await client.get("/v1/reports/nope", headers=headers)
        assert missing.status_code == 404


async def test_method_usage_counts_every_payment_cards_included(
    mon_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    """Card payments made with a fresh PaymentMethod have no saved method: still counted."""
    cash = await data.payment_method(sql, "cash_on_pickup")
    for amount in (1000, 2000):
        await data.payment(sql, amount=amount)  # a card, no saved method row
    await data.payment(sql, status="pending", method_type="cash_on_pickup", method_id=cash)
    transport = httpx.ASGITransport(app=create_app(mon_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = bearer(None, role="service_role")
        usage = (await client.get("/v1/reports/method-usage", headers=headers)).json()
        seed = (await client.get("/v1/reports/seed-method-usage", headers=headers)).json()
    rows = {r["type"]: r for r in usage["rows"]}
    assert rows["card"] == {"type": "card", "currency": "usd", "payment_count": 2,
                            "avg_amount": "15.00", "total_amount": "30.00"}  # fmt: skip
    assert rows["cash_on_pickup"]["payment_count"] == 1
    assert "card" not in {r["type"] for r in seed["rows"]}  # why the seed's query is not enough


def data_user() -> Any:
    from uuid import uuid4

    return uuid4()

"""Boundary cases the fuzzer found (or would find), each pinned as a plain test: 4xx, never 5xx."""

from __future__ import annotations

import json
from uuid import UUID

import httpx
import pytest

from tests.conftest import bearer

LISTS = ["/v1/orders", "/v1/payments"]
BAD_PAGES = [
    "offset=9223372036854775808",  # bigint max + 1 (schemathesis: offset=3.29e31)
    "offset=32921376980758945115091175997440",
    "offset=1000001",
    "offset=-1",
    "offset=1.5",
    "offset=abc",
    "offset=",
    "limit=0",
    "limit=101",
    "limit=18446744073709551616",
    "limit=-9223372036854775809",
    "status=paid%00",
    "status=" + "x" * 5000,
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", BAD_PAGES)
async def test_out_of_range_or_non_integer_paging_is_400(
    client: httpx.AsyncClient, user_id: UUID, path: str, query: str
) -> None:
    response = await client.get(f"{path}?{query}", headers=bearer(user_id))
    assert response.status_code == 400, response.text
    # (-9223372036854775809 happens to pass the Luhn check: refused as a card number first)
    assert response.json()["error"]["code"] in ("validation_failed", "card_data_not_allowed")


@pytest.mark.parametrize("path", LISTS)
async def test_the_deepest_allowed_page_is_an_empty_page(
    client: httpx.AsyncClient, user_id: UUID, path: str
) -> None:
    response = await client.get(f"{path}?offset=1000000&limit=100", headers=bearer(user_id))
    assert response.status_code == 200
    assert response.json()["data"] == []


GARBAGE_IDS = ["not-a-uuid", "%00", "00000000-0000-0000-0000-00000000000g", "1" * 3000, "%ff%fe"]


@pytest.mark.parametrize("bad", GARBAGE_IDS)
@pytest.mark.parametrize(
    ("method", "template", "role"),
    [
        ("GET", "/v1/orders/{}", "authenticated"),
        ("POST", "/v1/orders/{}/cancel", "authenticated"),
        ("POST", "/v1/orders/{}/offline-payment", "authenticated"),
        ("GET", "/v1/payments/{}", "authenticated"),
        ("POST", "/v1/payment-methods/{}/default", "authenticated"),
        ("DELETE", "/v1/payment-methods/{}", "authenticated"),
        ("POST", "/v1/payments/{}/mark-received", "service_role"),
        ("GET", "/v1/refunds/{}", "service_role"),
    ],
)
async def test_garbage_in_a_uuid_path_is_400(
    client: httpx.AsyncClient, user_id: UUID, bad: str, method: str, template: str, role: str
) -> None:
    headers = bearer(user_id if role == "authenticated" else None, role=role)
    response = await client.request(
        method, template.format(bad), headers=headers, json={"method": "cash_on_pickup"}
    )
    assert response.status_code in (400, 404), response.text
    assert response.json()["error"]["code"] in ("validation_failed", "not_found")


@pytest.mark.parametrize(
    "since",
    [
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01",
        "99999-01-01",
        "not-a-date",
        "2026-13-45",
    ],
)
async def test_report_windows_at_the_edges_of_time_are_4xx_or_empty(
    client: httpx.AsyncClient, since: str
) -> None:
    response = await client.get(
        "/v1/reports/payment-status", params={"since": since}, headers=bearer(None, "service_role")
    )
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 10**30, "currency": "usd"},
        {"amount": -(2**63), "currency": "usd"},
        {"amount": 1.5, "currency": "usd"},
        {"amount": "2500", "currency": "usd"},
        {"amount": 2500, "currency": "usd", "description": "a\x00b"},
        {"amount": 2500, "currency": "usd", "description": "\ud800"},
        {"amount": 2500, "currency": "usd", "metadata": {"k": "\x00"}},
        {"amount": 2500, "currency": "usd", "metadata": {"\x00": 1}},
        {"amount": 2500, "currency": "\x00sd"},
    ],
)
async def test_unstorable_or_out_of_range_order_bodies_are_400(
    client: httpx.AsyncClient, user_id: UUID, body: dict[str, object]
) -> None:
    headers = {**bearer(user_id), "Content-Type": "application/json"}
    response = await client.post("/v1/orders", content=json.dumps(body), headers=headers)
    assert response.status_code == 400, response.text
    listed = await client.get("/v1/orders", headers=bearer(user_id))
    assert listed.json()["data"] == []  # nothing half-written


@pytest.mark.parametrize(
    "raw",
    [
        b'{"amount": 2500, "currency": "usd", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"amount": 2500, "currency": "usd", "description": "\xff"}',
        b'{"amount": 1e999, "currency": "usd"}',
        b'{"amount": NaN, "currency": "usd"}',
        b'{"amount": ' + b"9" * 5000 + b', "currency": "usd"}',
    ],
)
@pytest.mark.parametrize(
    "path", ["/v1/orders", "/functions/v1/create-payment-intent", "/functions/v1/confirm-payment"]
)
async def test_hostile_json_bodies_are_400(
    client: httpx.AsyncClient, user_id: UUID, raw: bytes, path: str
) -> None:
    headers = {**bearer(user_id), "Content-Type": "application/json"}
    response = await client.post(path, content=raw, headers=headers)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/v1/ops/switches/accept_new_payments", {"enabled": True, "reason": "a\x00b"}),
        ("POST", "/v1/refunds", {"payment_id": "00000000-0000-4000-8000-000000000000",
                                 "reason": "\x00"}),
    ],
)  # fmt: skip
async def test_service_role_bodies_with_unstorable_text_are_400(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object]
) -> None:
    response = await client.request(method, path, json=body, headers=bearer(None, "service_role"))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_text"

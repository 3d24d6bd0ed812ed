"""Checkout sessions over HTTP: who may make them, what the database keeps, what the page
serves (headers, no secrets) and how links stop working."""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tender.config import Settings
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.ops.doctor_checks import DoctorContext, check_bundle
from tests.conftest import bearer


async def _order(client: httpx.AsyncClient, auth: dict[str, str], amount: int = 2500) -> str:
    resp = await client.post("/v1/orders", json={"amount": amount, "currency": "usd"}, headers=auth)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def _session(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str
) -> httpx.Response:
    return await client.post("/v1/checkout-sessions", json={"order_id": order_id}, headers=auth)


async def test_link_for_own_order_stores_only_the_hash(
    client: httpx.AsyncClient, user_id: UUID, owner_db: Database
) -> None:
    auth = bearer(user_id)
    order_id = await _order(client, auth)
    resp = await _session(client, auth, order_id)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["url"].startswith("http://tender.test/checkout/cs_")
    assert body["order_id"] == order_id
    assert body["status"] == "open"
    token = body["url"].rsplit("/", 1)[1]
    async with owner_db.transaction(DbContext.service("test")) as conn:
        row = (
            (
                await conn.execute(
                    text("SELECT * FROM checkout_sessions WHERE id = :id"), {"id": body["id"]}
                )
            )
            .mappings()
            .one()
        )
    assert bytes(row["token_sha256"]) == hashlib.sha256(token.encode()).digest()
    assert token not in str(dict(row))
    assert (row["expires_at"] - row["created_at"]).total_seconds() == pytest.approx(1800, abs=5)


async def test_someone_elses_order_is_not_found(client: httpx.AsyncClient) -> None:
    order_id = await _order(client, bearer(uuid4()))
    resp = await _session(client, bearer(uuid4()), order_id)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "order_not_found"


async def test_needs_a_user_token(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/checkout-sessions", json={"order_id": str(uuid4())})
    assert resp.status_code == 401
    service = await client.post(
        "/v1/checkout-sessions",
        json={"order_id": str(uuid4())},
        headers=bearer(None, role="service_role"),
    )
    assert service.status_code == 403


async def test_canceled_order_gets_no_link(client: httpx.AsyncClient, user_id: UUID) -> None:
    auth = bearer(user_id)
    order_id = await _order(client, auth)
    assert (await client.post(f"/v1/orders/{order_id}/cancel", headers=auth)).status_code == 200
    resp = await _session(client, auth, order_id)
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "order_not_payable"


async def test_unknown_and_malformed_links(client: httpx.AsyncClient) -> None:
    unknown = "cs_" + "A" * 43
    page = await client.get(f"/checkout/{unknown}")
    assert page.status_code == 404
    assert "Link not found" in page.text
    api = await client.get(f"/checkout/{unknown}/session")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "checkout_session_not_found"
    assert (await client.get("/checkout/not-a-token")).status_code == 404
    assert (await client.get("/checkout/not-a-token/session")).status_code == 400


async def test_users_read_only_their_sessions_and_write_none(
    client: httpx.AsyncClient, app_db: Database
) -> None:
    alice, bob = uuid4(), uuid4()
    made = (await _session(client, bearer(alice), await _order(client, bearer(alice)))).json()
    await _session(client, bearer(bob), await _order(client, bearer(bob)))
    async with app_db.transaction(DbContext.user(alice)) as conn:
        rows = (await conn.execute(text("SELECT id, user_id FROM checkout_sessions"))).all()
    assert [(str(r.id), r.user_id) for r in rows] == [(made["id"], alice)]
    for sql in (
        "UPDATE checkout_sessions SET status = 'open' WHERE id = :id",
        "DELETE FROM checkout_sessions WHERE id = :id",
        "TRUNCATE checkout_sessions",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with app_db.transaction(DbContext.user(alice)) as conn:
                await conn.execute(text(sql), {"id": made["id"]})
    with pytest.raises(DBAPIError, match="permission denied"):
        async with app_db.transaction(DbContext.service("test")) as conn:
            await conn.execute(text("TRUNCATE checkout_sessions"))


async def test_page_headers_and_served_assets_hold_no_secret(
    client: httpx.AsyncClient,
    user_id: UUID,
    test_settings: Settings,
    stripe_emulator: str,
    tmp_path: Path,
) -> None:
    auth = bearer(user_id)
    url = (await _session(client, auth, await _order(client, auth))).json()["url"]
    page = await client.get(url)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert f"script-src 'self' {stripe_emulator};" in csp
    assert f"connect-src 'self' {stripe_emulator};" in csp
    assert "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    config = (await client.get("/v1/client-config")).json()
    assert config["stripe_js_url"] == f"{stripe_emulator}/v3/"
    assert config["publishable_key"].startswith("pk_test_")
    (tmp_path / "checkout.html").write_bytes(page.content)
    for name in ("checkout.js", "checkout.css"):
        asset = await client.get(f"/checkout/assets/{name}")
        assert asset.status_code == 200
        (tmp_path / name).write_bytes(asset.content)
    session = await client.get(url.replace("http://tender.test", "") + "/session")
    (tmp_path / "session.json").write_bytes(session.content)
    ctx = DoctorContext(settings=test_settings, app_url="", owner_url="", bundle=tmp_path)
    result = await check_bundle(ctx)
    assert result.status == "pass", result.detail


def test_live_mode_loads_stripe_js_from_stripe() -> None:
    from tender.checkout.pages import csp

    live = Settings(stripe_api_base=None)
    assert live.stripe_js_url == "https://js.stripe.com/v3/"
    policy = csp(live)
    assert "script-src 'self' https://js.stripe.com https://*.js.stripe.com;" in policy
    frames = "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"
    assert frames in policy
    assert "connect-src 'self' https://api.stripe.com;" in policy


async def test_offline_stripe_js_is_served_with_cors(stripe_emulator: str) -> None:
    async with httpx.AsyncClient(base_url=stripe_emulator) as em:
        script = await em.get("/v3/")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert b"window.Stripe = Stripe" in script.content
        assert b"sk_test_" not in script.content
        preflight = await em.options(
            "/v1/payment_methods",
            headers={
                "Origin": "http://127.0.0.1:8000",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] in ("*", "http://127.0.0.1:8000")
        secret_only = await em.get(
            "/v1/customers",
            headers={"Authorization": "Bearer pk_test_x", "Origin": "http://127.0.0.1:8000"},
        )
        assert secret_only.status_code == 401  # a publishable key still reads nothing else
        assert secret_only.headers["access-control-allow-origin"] == "*"


async def test_card_testing_through_a_link_is_blocked(
    client: httpx.AsyncClient, user_id: UUID, test_settings: Settings
) -> None:
    auth = bearer(user_id)
    url = (await _session(client, auth, await _order(client, auth))).json()["url"]
    path = url.replace("http://tender.test", "")
    assert (await client.post(f"{path}/card")).status_code == 200
    for _ in range(test_settings.card_testing_max_declines):
        declined = await client.post(
            f"{path}/confirm", json={"payment_method": "pm_card_visa_chargeDeclined"}
        )
        assert declined.status_code == 402
        assert declined.json()["error"]["message"].startswith("Your card was declined.")
    blocked = await client.post(f"{path}/confirm", json={"payment_method": "pm_card_visa"})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "card_testing_blocked"


def test_link_tokens_are_scrubbed_from_logs_and_errors() -> None:
    from tender.monitoring.logging import scrub

    token = "cs_" + "Ab3-_" * 9
    event = {"request": {"url": f"https://pay.example.com/checkout/{token}/confirm"}}
    assert token not in str(scrub(event))
    assert "/checkout/[scrubbed]/confirm" in str(scrub(event))

"""Offline methods, fallbacks when cards fail, maintenance, and links that cannot be used."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tender.db.engine import Database
from tender.db.rls import DbContext
from tests.browser.conftest import BANK_ACCOUNT, Shopper, fill_card, keep_screenshot
from tests.conftest import bearer

OPERATOR = bearer(None, role="service_role")


@pytest.fixture
async def switches(api: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Flip kill switches as an operator; every switch touched is turned back on afterwards."""
    touched: list[str] = []

    async def flip(name: str, enabled: bool) -> None:
        touched.append(name)
        resp = await api.put(
            f"/v1/ops/switches/{name}",
            json={"enabled": enabled, "reason": "browser test"},
            headers=OPERATOR,
        )
        assert resp.status_code == 200, resp.text

    yield flip
    for name in touched:
        await api.put(
            f"/v1/ops/switches/{name}",
            json={"enabled": name != "payment_maintenance", "reason": "browser test done"},
            headers=OPERATOR,
        )


async def test_cash_on_pickup(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=1850, description="Sushi box")
    await page.goto(url)
    await page.get_by_label("Cash on pickup").check()
    await page.get_by_role("button", name="Reserve and pay on pickup").click()
    await page.get_by_role("heading", name="Order reserved: pay on pickup").wait_for()
    assert "Pay $18.50 in cash" in await page.locator("#receipt-text").inner_text()
    await keep_screenshot(page, "cash-on-pickup")
    assert await shopper.order_status(order["id"]) == "awaiting_payment"


async def test_bank_transfer_by_keyboard(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=99000, description="Laptop")
    await page.goto(url)
    await page.get_by_label("Card number").wait_for()
    await page.get_by_label("Card", exact=True).focus()
    await page.keyboard.press("ArrowDown")  # radio group: arrows move between the methods
    await page.keyboard.press("ArrowDown")
    assert await page.get_by_label("Bank transfer").is_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Bank transfer details").wait_for()
    facts = await page.locator("#receipt-facts").inner_text()
    reference = re.search(r"TND-[A-Z0-9]{4}-[A-Z0-9]{4}", facts)
    assert reference is not None
    assert reference.group() in await page.locator("#receipt-text").inner_text()
    assert BANK_ACCOUNT in facts
    await keep_screenshot(page, "bank-transfer")
    assert await shopper.order_status(order["id"]) == "awaiting_payment"


async def test_stripe_failing_offers_fallbacks_and_one_completes(
    page: Any, shopper: Shopper, control: httpx.AsyncClient
) -> None:
    order, url = await shopper.link(amount=2500, description="Groceries")
    await page.goto(url)
    await fill_card(page, "4242 4242 4242 4242")
    resp = await control.post(
        "/_test/faults",
        json={"path_prefix": "/v1/payment_intents", "methods": ["POST"], "error_rate": 1.0},
    )
    assert resp.status_code == 200
    await page.get_by_role("button", name=re.compile("Pay")).click()
    notice = page.locator("#notice")
    await notice.get_by_text("Card payments are unavailable right now.").wait_for()
    assert "cash on pickup or bank transfer" in await notice.inner_text()
    assert not await page.get_by_label("Card number").is_visible()
    await keep_screenshot(page, "fallback")
    await page.get_by_label("Bank transfer").check()
    await page.get_by_role("button", name="Get bank transfer details").click()
    await page.get_by_role("heading", name="Bank transfer details").wait_for()
    assert await shopper.order_status(order["id"]) == "awaiting_payment"


async def test_stripe_js_unreachable_offers_fallbacks(
    page: Any, shopper: Shopper, stripe_emulator: str
) -> None:
    _, url = await shopper.link(amount=2500, description="Groceries")
    await page.route(f"{stripe_emulator}/v3/**", lambda route: route.abort())
    await page.goto(url)
    await page.locator("#notice").get_by_text("Card payments are unavailable").wait_for()
    await page.get_by_label("Cash on pickup").check()
    await page.get_by_role("button", name="Reserve and pay on pickup").click()
    await page.get_by_role("heading", name="Order reserved: pay on pickup").wait_for()


async def test_card_switched_off_offers_fallbacks(
    page: Any, shopper: Shopper, switches: Any
) -> None:
    _, url = await shopper.link(amount=2500)
    await switches("method:card", False)
    await page.goto(url)
    await page.locator("#notice").get_by_text("Card payments are switched off").wait_for()
    assert await page.get_by_label("Card", exact=True).count() == 0
    assert await page.get_by_label("Cash on pickup").is_visible()


async def test_maintenance_page(page: Any, shopper: Shopper, switches: Any) -> None:
    _, url = await shopper.link(amount=2500)
    await switches("payment_maintenance", True)
    response = await page.goto(url)
    assert response.status == 503
    await page.get_by_role("heading", name="Down for maintenance").wait_for()
    await keep_screenshot(page, "maintenance")


async def test_used_link_is_refused(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=700)
    await page.goto(url)
    await page.get_by_label("Cash on pickup").check()
    await page.get_by_role("button", name="Reserve and pay on pickup").click()
    await page.get_by_role("heading", name="Order reserved: pay on pickup").wait_for()
    response = await page.goto(url)
    assert response.status == 410
    await page.get_by_role("heading", name="Link already used").wait_for()
    assert await page.get_by_label("Card number").count() == 0
    token = url.rsplit("/", 1)[1]
    api = shopper.api
    again = await api.post(f"/checkout/{token}/offline", json={"method": "bank_transfer"})
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "checkout_session_used"
    assert await shopper.order_status(order["id"]) == "awaiting_payment"


async def test_expired_link_is_refused(page: Any, shopper: Shopper, owner_db: Database) -> None:
    _, url = await shopper.link(amount=700)
    made = url.rsplit("/", 1)[1]
    async with owner_db.transaction(DbContext.service("test")) as conn:
        await conn.execute(
            text(
                "UPDATE checkout_sessions SET created_at = now() - interval '2 hours', "
                "expires_at = now() - interval '1 hour' "
                "WHERE token_sha256 = sha256(convert_to(:t, 'UTF8'))"
            ),
            {"t": made},
        )
    response = await page.goto(url)
    assert response.status == 410
    await page.get_by_role("heading", name="Link expired").wait_for()
    await keep_screenshot(page, "expired")
    card = await shopper.api.post(f"/checkout/{made}/card")
    assert card.status_code == 410
    assert card.json()["error"]["code"] == "checkout_session_expired"


async def test_link_expiring_during_3ds_still_tells_the_truth(
    page: Any, shopper: Shopper, owner_db: Database
) -> None:
    """The customer approves 3-D Secure after the link expired: the money moved, so the page
    shows the receipt (it asks what happened instead of reporting the expiry as a failure)."""
    order, url = await shopper.link(amount=4200, description="Slow approver")
    await page.goto(url)
    await fill_card(page, "4000 0027 6000 3184")
    await page.get_by_role("button", name=re.compile("Pay")).click()
    dialog = page.get_by_role("dialog", name="3D Secure test payment")
    await dialog.wait_for()
    async with owner_db.transaction(DbContext.service("test")) as conn:
        await conn.execute(
            text(
                "UPDATE checkout_sessions SET created_at = now() - interval '31 minutes', "
                "expires_at = now() - interval '1 minute' "
                "WHERE token_sha256 = sha256(convert_to(:t, 'UTF8'))"
            ),
            {"t": url.rsplit("/", 1)[1]},
        )
    await dialog.get_by_role("button", name="Approve").click()
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert await shopper.order_status(order["id"]) == "paid"
    assert (await page.goto(url)).status == 410


async def test_canceled_order_offers_nothing(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=900)
    resp = await shopper.api.post(f"/v1/orders/{order['id']}/cancel", headers=shopper.auth)
    assert resp.status_code == 200
    await page.goto(url)
    await page.get_by_role("heading", name="Nothing to pay").wait_for()
    assert "canceled" in await page.locator("#stopped-text").inner_text()
    assert not await page.get_by_label("Card number").is_visible()

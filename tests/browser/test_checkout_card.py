"""Paying by card on the hosted checkout page, in Chromium, through the offline Stripe.js."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import Shopper, fill_card, keep_screenshot

ITEMS = [
    {"name": "Margherita pizza", "quantity": 2, "amount": 900},
    {"name": "Lemonade", "quantity": 1, "amount": 700},
]


async def test_pay_by_card(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(
        amount=2500, description="Pizza for pickup", metadata={"items": ITEMS}
    )
    await page.goto(url)
    await page.get_by_text("Pizza for pickup").wait_for()
    assert await page.locator("#order-amount").inner_text() == "$25.00"
    assert "2 × Margherita pizza" in await page.locator("#order-items").inner_text()
    await page.get_by_label("Card number").wait_for()
    await keep_screenshot(page, "checkout")
    await fill_card(page, "4242 4242 4242 4242")
    await page.get_by_role("button", name="Pay $25.00").click()
    await page.get_by_role("heading", name="Payment received").wait_for()
    receipt = await page.locator("#receipt-facts").inner_text()
    assert "VISA •••• 4242" in receipt
    payment_id = re.search(r"[0-9a-f-]{36}", receipt)
    assert payment_id is not None
    await keep_screenshot(page, "receipt")
    payment = await shopper.payment(payment_id.group())
    assert (payment["status"], payment["amount"], payment["order_id"]) == (
        "succeeded",
        2500,
        order["id"],
    )
    assert await shopper.order_status(order["id"]) == "paid"
    assert page.errors == []


async def test_decline_then_success(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=1234, currency="eur", description="Books")
    await page.goto(url)
    await fill_card(page, "4000 0000 0000 9995")  # insufficient funds
    await page.get_by_role("button", name=re.compile("Pay")).click()
    error = page.locator("#card-error")
    await error.get_by_text("insufficient funds").wait_for()
    assert "Please use a different card" in await error.inner_text()
    await keep_screenshot(page, "decline")
    await fill_card(page, "5555 5555 5555 4444")
    await page.get_by_role("button", name="Try again").click()
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert "MASTERCARD •••• 4444" in await page.locator("#receipt-facts").inner_text()
    assert await shopper.order_status(order["id"]) == "paid"


async def test_three_d_secure_approved(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=4200, description="Concert tickets")
    await page.goto(url)
    await fill_card(page, "4000 0027 6000 3184")
    await page.get_by_role("button", name=re.compile("Pay")).click()
    dialog = page.get_by_role("dialog", name="3D Secure test payment")
    await dialog.wait_for()
    assert "$42.00" in await dialog.inner_text()
    await keep_screenshot(page, "3ds-challenge")
    await dialog.get_by_role("button", name="Approve").click()
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert await shopper.order_status(order["id"]) == "paid"


async def test_three_d_secure_failed_then_retry(page: Any, shopper: Shopper) -> None:
    order, url = await shopper.link(amount=4200, description="Concert tickets")
    await page.goto(url)
    await fill_card(page, "4000 0027 6000 3184")
    await page.get_by_role("button", name=re.compile("Pay")).click()
    dialog = page.get_by_role("dialog", name="3D Secure test payment")
    await dialog.get_by_role("button", name="Fail").click()
    await page.locator("#card-error").get_by_text("failed authentication").wait_for()
    assert await shopper.order_status(order["id"]) != "paid"
    # Keyboard only: Escape fails the challenge too; then a card without 3-D Secure pays.
    await fill_card(page, "4242 4242 4242 4242")
    await page.get_by_role("button", name="Try again").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert await shopper.order_status(order["id"]) == "paid"


async def test_processing_is_shown_then_resolves(page: Any, shopper: Shopper) -> None:
    """Tender answers 202 `processing` when Stripe's outcome is not known yet: the page says
    so, polls, and shows the receipt once the payment resolves (here it already has)."""
    order, url = await shopper.link(amount=1500, description="Flowers")

    async def processing(route: Any) -> None:
        real = await route.fetch()  # the real confirm happens; only its answer is delayed news
        body = await real.json()
        await route.fulfill(status=202, json={**body, "status": "processing"})

    await page.route("**/confirm", processing)
    await page.goto(url)
    await fill_card(page, "4242 4242 4242 4242")
    await page.get_by_role("button", name=re.compile("Pay")).click()
    await page.get_by_role("heading", name="Your payment is processing").wait_for()
    assert not await page.locator("#pay").is_visible()
    await keep_screenshot(page, "processing")
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert await shopper.order_status(order["id"]) == "paid"

"""The offline Stripe.js's own API, called from a page as an app would: the Payment Element,
`confirmPayment` with its 3-D Secure dialog, `retrievePaymentIntent`, `handleNextAction`,
`createPaymentMethod` validation and the element's change events."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.conftest import Shopper

SETUP = """
async () => {
  const config = await (await fetch("/v1/client-config")).json();
  window.stripeT = Stripe(config.publishable_key);
  window.events = [];
  const box = document.createElement("div");
  box.id = "pe";
  document.body.prepend(box);
  window.elementsT = window.stripeT.elements();
  window.pe = window.elementsT.create("payment");
  window.pe.on("change", (e) => window.events.push({complete: e.complete, error: e.error && e.error.code}));
  window.pe.mount("#pe");
}
"""


async def _intent(page: Any, url: str) -> dict[str, Any]:
    path = url.split("/checkout/", 1)[1]
    made = await page.evaluate(
        "async (p) => (await fetch('/checkout/' + p + '/card', {method: 'POST'})).json()", path
    )
    return dict(made)


async def _fill(page: Any, number: str) -> None:
    box = page.locator("#pe")
    await box.get_by_label("Card number").fill(number)
    await box.get_by_label("Expiry (MM / YY)").fill("12/34")
    await box.get_by_label("CVC").fill("123")


async def test_confirm_payment_with_the_payment_element_and_3ds(
    page: Any, shopper: Shopper
) -> None:
    _, url = await shopper.link(amount=2000, description="Stripe.js API")
    await page.goto(url)
    await page.get_by_label("Card number").wait_for()
    await page.evaluate(SETUP)
    intent = await _intent(page, url)

    invalid = await page.evaluate(
        "async () => (await stripeT.createPaymentMethod({elements: elementsT})).error"
    )
    assert invalid["type"] == "validation_error"
    assert invalid["code"] == "incomplete_number"
    await _fill(page, "4242 4242 4242 4241")  # fails the Luhn check
    assert {"complete": False, "error": "incomplete_number"} in await page.evaluate("events")
    await _fill(page, "4000 0027 6000 3184")  # always asks for 3-D Secure
    assert (await page.evaluate("events"))[-1] == {"complete": True, "error": None}

    confirming = asyncio.ensure_future(
        page.evaluate(
            "(secret) => stripeT.confirmPayment("
            "{elements: elementsT, clientSecret: secret, redirect: 'if_required'})",
            intent["client_secret"],
        )
    )
    dialog = page.get_by_role("dialog", name="3D Secure test payment")
    await dialog.wait_for()
    assert await dialog.get_by_role("button", name="Approve").evaluate(
        "b => b === document.activeElement"
    )
    await dialog.get_by_role("button", name="Approve").click()
    result = await confirming
    assert result["paymentIntent"]["status"] == "succeeded"
    assert result["paymentIntent"]["id"] == intent["payment_intent_id"]
    seen = await page.evaluate(
        "async (s) => (await stripeT.retrievePaymentIntent(s)).paymentIntent.status",
        intent["client_secret"],
    )
    assert seen == "succeeded"


async def test_handle_next_action_escape_fails_authentication(page: Any, shopper: Shopper) -> None:
    _, url = await shopper.link(amount=2000)
    await page.goto(url)
    await page.get_by_label("Card number").wait_for()
    await page.evaluate(SETUP)
    intent = await _intent(page, url)
    path = url.split("/checkout/", 1)[1]
    answer = await page.evaluate(
        "async (p) => (await fetch('/checkout/' + p + '/confirm', {method: 'POST', headers:"
        " {'Content-Type': 'application/json'},"
        " body: JSON.stringify({payment_method: 'pm_card_threeDSecure2Required'})})).json()",
        path,
    )
    assert answer["status"] == "requires_action"
    assert answer["next_action"]["type"] == "use_stripe_sdk"
    handling = asyncio.ensure_future(
        page.evaluate(
            "(secret) => stripeT.handleNextAction({clientSecret: secret})",
            intent["client_secret"],
        )
    )
    await page.get_by_role("dialog").wait_for()
    await page.keyboard.press("Escape")
    result = await handling
    assert result["error"]["code"] == "payment_intent_authentication_failure"
    assert result["error"]["payment_intent"]["status"] == "requires_payment_method"
    assert await page.get_by_role("dialog").count() == 0

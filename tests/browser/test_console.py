"""The operations console in Chromium: it shows a new payment and its switches are obeyed."""

from __future__ import annotations

from typing import Any

import httpx

from tender.console.auth import mint_link_token
from tender.runtime import Runtime
from tests.browser.conftest import Shopper, keep_screenshot
from tests.conftest import bearer

OPERATOR = bearer(None, role="service_role")


async def _paid_by_card(shopper: Shopper) -> dict[str, Any]:
    order = await shopper.order(amount=3100, description="Console check")
    api = shopper.api
    made = await api.post(
        "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=shopper.auth
    )
    assert made.status_code == 201, made.text
    paid = await api.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": made.json()["payment_id"], "payment_method": "pm_card_visa"},
        headers=shopper.auth,
    )
    assert paid.json()["status"] == "succeeded", paid.text
    return dict(paid.json())


async def test_console_shows_payment_and_switch_is_obeyed(
    page: Any, shopper: Shopper, runtime: Runtime, live_tender: str, api: httpx.AsyncClient
) -> None:
    payment = await _paid_by_card(shopper)
    link = f"{live_tender}/console/login?code={mint_link_token(runtime.settings, 'tester')}"
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(link)
    assert page.url == f"{live_tender}/console"
    recent = page.locator("#recent")
    await recent.get_by_text(payment["payment_id"]).wait_for()
    row = recent.locator("tr", has_text=payment["payment_id"])
    assert "$31.00" in await row.inner_text()
    assert "succeeded" in await row.inner_text()
    assert await page.locator("#health").get_by_text("healthy").count() == 4
    criteria = page.locator("[data-criterion]")
    assert await criteria.count() == 4
    assert "target ≥ 99.50%" in await page.locator("[data-criterion=uptime]").inner_text()
    assert "console:tester" in await page.locator("#meta").inner_text()
    await page.wait_for_function(
        "() => window.Chart && document.querySelector('#volume-chart').width > 0"
    )
    await keep_screenshot(page, "console")

    card = page.locator("tr[data-switch='method:card']")
    try:
        await card.get_by_role("button", name="Turn off method:card").click()
        await page.get_by_role("button", name="Confirm").click()
        assert await page.locator("#switch-error").is_visible()  # a reason is required
        await page.get_by_label("Reason (kept in the audit log)").fill("INC-7: card processor down")
        await page.get_by_role("button", name="Confirm").click()
        await card.get_by_role("button", name="Turn on method:card").wait_for()
        assert "INC-7: card processor down" in await card.inner_text()
        order = await shopper.order(amount=500)
        refused = await api.post(
            "/functions/v1/create-payment-intent",
            json={"order_id": order["id"]},
            headers=shopper.auth,
        )
        assert refused.json()["error"]["code"] == "payment_method_disabled"
        history = await api.get("/v1/ops/switches", headers=OPERATOR)
        state = {s["name"]: s for s in history.json()["data"]}["method:card"]
        assert (state["enabled"], state["updated_by"]) == (False, "console:tester")
    finally:
        await api.put(
            "/v1/ops/switches/method:card",
            json={"enabled": True, "reason": "console test done"},
            headers=OPERATOR,
        )
    later = await _paid_by_card(shopper)  # the page refreshes itself (every 10 s)
    await recent.get_by_text(later["payment_id"]).wait_for(timeout=15_000)


async def test_console_link_works_once_and_needs_the_service_role(
    page: Any, runtime: Runtime, live_tender: str, api: httpx.AsyncClient
) -> None:
    link = f"{live_tender}/console/login?code={mint_link_token(runtime.settings, 'once')}"
    await page.goto(link)
    await page.locator("#recent").wait_for()
    again = await api.get(link.replace(live_tender, ""), follow_redirects=False)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "console_used"
    assert (await api.get("/console/api/overview")).status_code == 401
    user = await api.get("/console/api/overview", headers=bearer(Shopper(api).user_id))
    assert user.status_code == 403
    operator = await api.get("/console/api/overview", headers=OPERATOR)
    assert operator.status_code == 200
    assert {"hourly", "methods", "error_codes", "alerts", "switches", "criteria"} <= set(
        operator.json()
    )
    await page.context.clear_cookies()
    await page.goto(f"{live_tender}/console")
    await page.get_by_label("Service-role token").fill(OPERATOR["Authorization"].split()[1])
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#recent").wait_for()

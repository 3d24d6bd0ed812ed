"""Headless Chromium (Debian's `chromium`) driven by Playwright against a live Tender and the
offline Stripe test mode, both on loopback: nothing leaves the machine.

`make e2e` installs chromium when missing; without it these tests are skipped unless
TENDER_BROWSER_REQUIRED=1 (CI sets it, so a missing browser fails there). A failing test
leaves a screenshot in tests/browser/failures/. `TENDER_SCREENSHOTS=1` refreshes the
committed page screenshots in docs/screenshots/ (each is also written when missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tender.config import Settings
from tender.runtime import Runtime
from tests.conftest import REPO, bearer

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
FAILURES = REPO / "tests" / "browser" / "failures"
PHONE = {"width": 390, "height": 844}
BANK_ACCOUNT = "account holder Tender Test Ltd, IBAN GB33BUKB20201555555555, BIC BUKBGB22"


@pytest.fixture
async def runtime(
    test_settings: Settings, database_urls: tuple[str, str]
) -> AsyncIterator[Runtime]:
    """The shared test settings plus the bank account the checkout page shows."""
    settings = test_settings.model_copy(
        update={
            "bank_transfer_account_holder": "Tender Test Ltd",
            "bank_transfer_iban": "GB33BUKB20201555555555",
            "bank_transfer_bic": "BUKBGB22",
        }
    )
    rt = Runtime.build(settings, database_urls[1])
    yield rt
    await rt.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("TENDER_BROWSER_REQUIRED") == "1":
            pytest.fail(f"chromium not found at {CHROMIUM}: run `make e2e` to install it")
        pytest.skip("chromium is not installed (make e2e installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(chromium: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A fresh phone-sized page; console errors collected; a screenshot when the test fails."""
    context = await chromium.new_context(viewport=PHONE, device_scale_factor=1)
    tab = await context.new_page()
    tab.set_default_timeout(10_000)
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None,
    )
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            FAILURES.mkdir(parents=True, exist_ok=True)
            await tab.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)
        await context.close()


async def keep_screenshot(tab: Any, name: str) -> None:
    """Keep one screenshot of this page in docs/screenshots/ (refreshed on request)."""
    target = SCREENSHOTS / f"{name}.png"
    if target.exists() and os.environ.get("TENDER_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await tab.screenshot(path=str(target), full_page=True)


@pytest.fixture
async def api(live_tender: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_tender, timeout=15) as client:
        yield client


@pytest.fixture
async def control(stripe_emulator: str) -> AsyncIterator[httpx.AsyncClient]:
    """The test mode's /_test control API; faults are cleared after each test."""
    async with httpx.AsyncClient(base_url=stripe_emulator, timeout=10) as c:
        yield c
        await c.delete("/_test/faults")


class Shopper:
    """A user with a token, who makes orders and checkout links the way an app does."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.user_id: UUID = uuid4()
        self.auth = bearer(self.user_id)

    async def order(
        self, amount: int = 2500, currency: str = "usd", **extra: Any
    ) -> dict[str, Any]:
        body = {"amount": amount, "currency": currency, **extra}
        resp = await self.api.post("/v1/orders", json=body, headers=self.auth)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def checkout(self, order_id: str) -> dict[str, Any]:
        resp = await self.api.post(
            "/v1/checkout-sessions", json={"order_id": order_id}, headers=self.auth
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def link(self, **order: Any) -> tuple[dict[str, Any], str]:
        made = await self.order(**order)
        return made, (await self.checkout(made["id"]))["url"]

    async def payment(self, payment_id: str) -> dict[str, Any]:
        resp = await self.api.get(f"/v1/payments/{payment_id}", headers=self.auth)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def order_status(self, order_id: str) -> str:
        resp = await self.api.get(f"/v1/orders/{order_id}", headers=self.auth)
        return str(resp.json()["status"])


@pytest.fixture
def shopper(api: httpx.AsyncClient) -> Shopper:
    return Shopper(api)


async def fill_card(tab: Any, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    await tab.get_by_label("Card number").fill(number)
    await tab.get_by_label("Expiry (MM / YY)").fill(expiry)
    await tab.get_by_label("CVC").fill(cvc)

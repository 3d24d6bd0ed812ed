"""Each seed alert fires once, repeats, resolves, from constructed data; a local receiver
shows what the Slack-compatible webhook and PagerDuty Events v2 got."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from tender.config import Settings
from tender.db.engine import Database
from tender.monitoring.alerts import AlertService
from tender.runtime import Runtime
from tests.monitoring import data
from tests.monitoring.conftest import Receiver


def _for(receiver: Receiver, path: str, alert: str) -> list[dict[str, Any]]:
    if path == "/pagerduty":
        return [b for b in receiver.at(path) if b["dedup_key"] == f"tender:{alert}"]
    return [b for b in receiver.at(path) if b["alert"]["alert"] == alert]


def _firing(results: list[Any]) -> set[str]:
    return {r.name for r in results if r.firing}


async def test_payment_failure_rate_pages_once_repeats_and_resolves(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "payment_failure_rate_high"
    service = AlertService(mon_runtime)
    for _ in range(2):
        await data.payment(sql, status="requires_payment_method", error="card_declined")
    for _ in range(3):
        await data.payment(sql)
    results, _ = await service.check()
    assert name in _firing(results)
    [slack] = _for(receiver, "/slack", name)
    assert slack["alert"]["status"] == "firing"
    assert slack["alert"]["severity"] == "critical"
    assert slack["alert"]["details"] == {"failed": 2, "total": 5}
    assert "[CRITICAL] payment_failure_rate_high" in slack["text"]
    [page] = _for(receiver, "/pagerduty", name)
    assert page["routing_key"] == "R0UTINGKEY"
    assert page["event_action"] == "trigger"
    assert page["payload"]["severity"] == "critical"
    assert page["payload"]["class"] == name

    await service.check()  # still firing, inside the repeat interval: nothing new
    assert len(_for(receiver, "/slack", name)) == 1
    await asyncio.sleep(0.35)
    await service.check()  # repeat interval passed: sent again
    repeats = _for(receiver, "/slack", name)
    assert len(repeats) == 2
    assert repeats[1]["alert"]["repeat"] is True
    assert len(_for(receiver, "/pagerduty", name)) == 2

    for _ in range(20):
        await data.payment(sql)  # 2 of 25 failed: 8%
    results, _ = await service.check()
    assert name not in _firing(results)
    assert _for(receiver, "/slack", name)[-1]["alert"]["status"] == "resolved"
    resolve = _for(receiver, "/pagerduty", name)[-1]
    assert resolve == {
        "routing_key": "R0UTINGKEY",
        "event_action": "resolve",
        "dedup_key": f"tender:{name}",
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_database_connection_failure_pages_and_resolves_when_it_returns(
    monitor_settings: Settings, monitoring_db: tuple[str, str], receiver: Receiver
) -> None:
    name = "payment_db_connection_failed"
    settings = monitor_settings.model_copy(update={"alert_window_seconds": 0.5})
    rt = Runtime.build(settings, f"postgresql://tender_app@127.0.0.1:{_closed_port()}/nowhere")
    try:
        service = AlertService(rt)
        results, _ = await service.check()
        assert name in _firing(results)
        skipped = [r for r in results if not r.evaluated]
        assert {r.name for r in skipped} >= {"payment_failure_rate_high"}
        assert _for(receiver, "/pagerduty", name)[0]["event_action"] == "trigger"
        assert _for(receiver, "/slack", name)[0]["alert"]["action"] == "page_database_team"

        await rt.db.dispose()
        rt.db = Database(monitoring_db[1], pool_size=1, max_overflow=0)
        await asyncio.sleep(0.6)  # the errors leave the sliding window
        results, _ = await service.check()
        assert all(r.evaluated for r in results), [r.summary for r in results]
        assert name not in _firing(results)
        assert _for(receiver, "/pagerduty", name)[-1]["event_action"] == "resolve"
    finally:
        await rt.close()


async def test_stripe_api_error_rate_from_injected_faults(
    monitor_settings: Settings,
    monitoring_db: tuple[str, str],
    receiver: Receiver,
    stripe_emulator: str,
) -> None:
    name = "stripe_api_error_rate_high"
    settings = monitor_settings.model_copy(update={"alert_window_seconds": 1.0})
    rt = Runtime.build(settings, monitoring_db[1])
    service = AlertService(rt)
    async with httpx.AsyncClient(base_url=stripe_emulator) as emulator:
        try:
            # Each call is tried twice (one network retry): 4 failures fail two calls.
            faults = {"path_prefix": "/v1/customers", "fail_next": 4, "fail_mode": "500"}
            assert (await emulator.post("/_test/faults", json=faults)).status_code == 200
            for _ in range(5):
                with contextlib.suppress(Exception):
                    await rt.gateway.create_customer(uuid4())
        finally:
            await emulator.delete("/_test/faults")
    try:
        results, _ = await service.check()
        [stripe] = [r for r in results if r.name == name]
        assert stripe.firing
        assert stripe.value == 0.4
        assert _for(receiver, "/pagerduty", name)[0]["event_action"] == "trigger"
        await asyncio.sleep(1.1)
        results, _ = await service.check()
        assert name not in _firing(results)
        assert _for(receiver, "/slack", name)[-1]["alert"]["status"] == "resolved"
    finally:
        await rt.close()


async def test_slow_payment_responses_warn_without_paging(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "payment_response_time_slow"
    service = AlertService(mon_runtime)
    for _ in range(4):
        mon_runtime.recorder.http_request("/v1/payments", "POST", 200, 6.0)
    mon_runtime.recorder.http_request("/v1/orders", "GET", 200, 30.0)  # not a payment route
    results, _ = await service.check()
    [slow] = [r for r in results if r.name == name]
    assert slow.firing
    assert slow.value == 6000.0
    assert _for(receiver, "/slack", name)[0]["alert"]["severity"] == "warning"
    assert _for(receiver, "/pagerduty", name) == []  # warnings never page
    for _ in range(40):
        mon_runtime.recorder.http_request("/v1/payments", "POST", 200, 0.2)
    results, _ = await service.check()
    assert name not in _firing(results)
    assert _for(receiver, "/slack", name)[-1]["alert"]["status"] == "resolved"


async def test_cache_hit_rate_low_from_real_cache_lookups(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "payment_cache_hit_rate_low"
    service = AlertService(mon_runtime)
    for i in range(5):
        assert await mon_runtime.cache.get_json("payment_methods", f"u{i}") is None
    results, _ = await service.check()
    assert name in _firing(results)
    await mon_runtime.cache.set_json("payment_methods", "hot", [1], 60)
    for _ in range(30):
        assert await mon_runtime.cache.get_json("payment_methods", "hot") == [1]
    results, _ = await service.check()  # 30 / 35 = 86%
    assert name not in _firing(results)
    sent = _for(receiver, "/slack", name)
    assert [b["alert"]["status"] for b in sent] == ["firing", "resolved"]


async def test_new_error_code_and_spike_are_unusual_patterns(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "payment_error_pattern_unusual"
    service = AlertService(mon_runtime)
    await data.payment_error(sql, "card_declined", age="3 days", count=7)
    await data.payment_error(sql, "card_declined", count=1)
    results, _ = await service.check()
    assert name not in _firing(results)  # a known code at its usual pace
    await data.payment_error(sql, "processing_error")
    results, _ = await service.check()
    [pattern] = [r for r in results if r.name == name]
    assert pattern.firing
    assert pattern.details["new_codes"] == ["processing_error"]
    assert "processing_error" in _for(receiver, "/slack", name)[0]["text"]
    await sql.execute("UPDATE payment_errors SET created_at = now() - interval '2 days'")
    results, _ = await service.check()
    assert name not in _firing(results)
    await data.payment_error(sql, "card_declined", count=6)  # spike: 6 vs ~0.04 expected
    results, _ = await service.check()
    [pattern] = [r for r in results if r.name == name]
    assert pattern.firing
    assert pattern.details == {"new_codes": [], "spike": True}
    assert [b["alert"]["status"] for b in _for(receiver, "/slack", name)] == [
        "firing",
        "resolved",
        "firing",
    ]


async def test_method_usage_drop_notifies_product_as_info(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "new_payment_method_low_adoption"
    service = AlertService(mon_runtime)
    for _ in range(10):
        await data.payment(sql, method_type="cash_on_pickup", status="pending", age="10 days")
    for _ in range(2):
        await data.payment(sql, method_type="cash_on_pickup", status="pending", age="1 day")
    results, _ = await service.check()
    [adoption] = [r for r in results if r.name == name]
    assert adoption.firing
    assert adoption.details == {"change": {"cash_on_pickup": -0.8}}
    [sent] = _for(receiver, "/slack", name)
    assert sent["alert"]["severity"] == "info"
    assert sent["alert"]["action"] == "notify_product_team"
    assert _for(receiver, "/pagerduty", name) == []
    for _ in range(8):
        await data.payment(sql, method_type="cash_on_pickup", status="pending", age="1 day")
    results, _ = await service.check()
    assert name not in _firing(results)
    assert _for(receiver, "/slack", name)[-1]["alert"]["status"] == "resolved"


async def test_failed_amount_per_hour_warns_business(
    mon_runtime: Runtime, sql: asyncpg.Connection, receiver: Receiver
) -> None:
    name = "payment_failure_revenue_impact"
    service = AlertService(mon_runtime)
    await data.payment(sql, status="requires_payment_method", error="card_declined", amount=90_000)
    await data.payment(sql, status="canceled", error="expired_card", amount=60_000)
    await data.payment(sql, status="requires_payment_method", error="card_declined",
                       amount=150_000, currency="jpy")  # ¥150,000: its own currency  # fmt: skip
    results, _ = await service.check()
    [impact] = [r for r in results if r.name == name]
    assert impact.firing
    assert impact.details == {"failed_amount": {"usd": 1500.0, "jpy": 150000.0}}
    assert _for(receiver, "/slack", name)[0]["alert"]["action"] == "notify_business_team"
    await sql.execute("UPDATE payments SET updated_at = now() - interval '2 hours'")
    results, _ = await service.check()
    assert name not in _firing(results)
    assert _for(receiver, "/slack", name)[-1]["alert"]["status"] == "resolved"

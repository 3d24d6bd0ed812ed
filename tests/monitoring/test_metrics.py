"""/metrics parses with prometheus-client's parser, labels use route templates, and every
metric deploy/prometheus/alerts.yml names is exposed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tender.monitoring.logging import scrub

ALERTS_YML = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
SEED_ALERTS = {
    "payment_failure_rate_high", "payment_db_connection_failed", "stripe_api_error_rate_high",
    "payment_response_time_slow", "payment_error_pattern_unusual", "payment_cache_hit_rate_low",
    "new_payment_method_low_adoption", "payment_failure_revenue_impact",
}  # fmt: skip


async def _exposed(client: httpx.AsyncClient) -> tuple[set[str], list[object]]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = list(text_string_to_metric_families(response.text))
    names = {f.name for f in families} | {s.name for f in families for s in f.samples}
    return names, families


async def test_metrics_parse_and_use_route_templates(client: httpx.AsyncClient) -> None:
    await client.get("/api/health/payment")
    await client.get("/v1/reports/payment-status")  # 401, still a templated route
    await client.get("/no/such/path/12345")
    response = await client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    routes = {s.labels["route"] for s in families["tender_http_requests"].samples}
    assert {"/api/health/payment", "/v1/reports/{name}", "unmatched"} <= routes
    assert not any("12345" in r for r in routes)
    statuses = {
        (s.labels["route"], s.labels["status"])
        for s in families["tender_http_requests"].samples
        if s.value > 0
    }
    assert ("/v1/reports/{name}", "4xx") in statuses
    assert "x-request-id" in response.headers


async def test_every_metric_the_alert_rules_use_is_exposed(client: httpx.AsyncClient) -> None:
    rules = yaml.safe_load(ALERTS_YML.read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert set(alerts) == SEED_ALERTS
    names, _ = await _exposed(client)
    for alert, rule in alerts.items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        used = set(re.findall(r"\btender_[a-z_]+", rule["expr"]))
        assert used, alert
        for metric in used:
            base = re.sub(r"_(bucket|sum|count|total)$", "", metric)
            assert metric in names or base in names, f"{alert} uses {metric}, not exposed"


def test_scrubbing_removes_secrets_tokens_and_card_numbers() -> None:
    event = {
        "event": "charge 4242 4242 4242 4242 failed for Bearer eyJhbGciOi.eyJzdWIi.c2ln",
        "headers": {"Authorization": "Bearer abc", "stripe-signature": "t=1,v1=x"},
        "stripe_secret_key": "sk_live_123",
        "nested": [{"note": "key sk_test_abcDEF and whsec_zzz and pi_1_secret_2"}],
        "amount": 2500,
        "plain": "card 4000000000003220 and amex 3782-822463-10005",
        "payment_id": "7f1c2e4a-0000-4000-8000-000000000000",
    }
    clean = scrub(event)
    text = repr(clean).replace("stripe_secret_key", "")
    for leaked in ("4242 4242", "eyJ", "abc", "sk_live", "sk_test", "whsec_", "_secret_", "v1=x"):
        assert leaked not in text
    assert clean["amount"] == 2500
    assert clean["plain"] == "card [scrubbed] and amex [scrubbed]"
    assert clean["payment_id"] == event["payment_id"]

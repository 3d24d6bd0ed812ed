"""Every object kind the emulator emits matches fixtures3.json in keys and JSON value types."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tender_testmode.shapes import TEMPLATES

FIXTURE = Path(__file__).resolve().parents[2] / "../shared/stripe/fixtures3.json"
# Keys Stripe returns that the fixture omits: the secret (create only) and event diffs.
EXTRA_OK = {("webhook_endpoint", "secret"), ("event.data", "previous_attributes")}


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Any]:
    if not FIXTURE.exists():
        pytest.skip(f"Stripe fixture not found at {FIXTURE} (shared checkout absent)")
    resources: dict[str, Any] = json.loads(FIXTURE.read_text())["resources"]
    return resources


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def mismatches(ours: Any, ref: Any, where: str, kind: str) -> list[str]:
    """Differences in keys and JSON types; null on either side is compatible.

    Every fixture key must be present at every depth. Extra keys are only an error on the
    object itself: the fixture trims nested sub-objects to their required fields (its
    ``last_payment_error`` is just ``{"type": ...}``), while Stripe fills the optional ones.
    """
    if ours is None or ref is None:
        return []
    if isinstance(ref, float) and isinstance(ours, int) and not isinstance(ours, bool):
        return []
    if _kind(ours) != _kind(ref):
        return [f"{where}: {_kind(ours)} != fixture {_kind(ref)}"]
    problems: list[str] = []
    if isinstance(ref, dict):
        if kind == "event.data.object" or kind.endswith("metadata"):
            return []
        missing = set(ref) - set(ours)
        strict = "." not in kind or kind == "event.data"
        extra = {k for k in set(ours) - set(ref) if strict and (kind, k) not in EXTRA_OK}
        problems += [f"{where}.{k}: missing" for k in sorted(missing)]
        problems += [f"{where}.{k}: not in fixture" for k in sorted(extra)]
        for key in set(ref) & set(ours):
            problems += mismatches(ours[key], ref[key], f"{where}.{key}", f"{kind}.{key}")
    elif isinstance(ref, list) and ref and ours:
        problems += mismatches(ours[0], ref[0], f"{where}[0]", kind)
    return problems


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_match_fixture(fixtures: dict[str, Any], kind: str) -> None:
    assert mismatches(TEMPLATES[kind], fixtures[kind], kind, kind) == []


def _walk(client: Any, control: httpx.Client) -> list[dict[str, Any]]:
    customer = client.v1.customers.create({"email": "shape@example.com", "metadata": {"a": "b"}})
    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    si = client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": "pm_card_mastercard", "confirm": True}
    )
    pi = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "customer": customer.id, "payment_method": pm.id,
         "confirm": True, "metadata": {"order": "1"}})  # fmt: skip
    declined = client.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    with contextlib.suppress(Exception):
        client.v1.payment_intents.confirm(
            declined.id, {"payment_method": "pm_card_visa_chargeDeclined"}
        )
    action = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
         "confirm": True, "capture_method": "manual"})  # fmt: skip
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    we = client.v1.webhook_endpoints.create({"url": "https://e.example/h", "enabled_events": ["*"]})
    canceled = client.v1.payment_intents.cancel(action.id)
    objs = [customer, pm, si, pi, declined, canceled, refund, we, client.v1.balance.retrieve()]
    objs += [client.v1.payment_intents.retrieve(declined.id)]
    objs += [client.v1.charges.retrieve(pi.latest_charge)]
    objs += list(client.v1.charges.list().data)
    objs += list(client.v1.events.list({"limit": 100}).data)
    objs += [client.v1.webhook_endpoints.delete(we.id)]
    return [o.to_dict_recursive() if hasattr(o, "to_dict_recursive") else o.to_dict() for o in objs]


def test_live_objects_match_fixture(
    fixtures: dict[str, Any], client: Any, control: httpx.Client
) -> None:
    seen: set[str] = set()
    problems: list[str] = []
    for obj in _walk(client, control):
        kind = obj["object"]
        if obj.get("deleted"):
            kind = "deleted_" + kind
        seen.add(kind)
        problems += mismatches(obj, fixtures[kind], f"{kind}:{obj.get('id')}", kind)
        if kind == "event":
            inner = obj["data"]["object"]
            inner_kind = inner["object"]
            seen.add(inner_kind)
            problems += mismatches(inner, fixtures[inner_kind], f"event>{inner_kind}", inner_kind)
    assert sorted(set(problems)) == []
    assert seen >= {
        "customer", "payment_method", "setup_intent", "payment_intent", "charge", "refund",
        "webhook_endpoint", "deleted_webhook_endpoint", "balance", "event",
    }  # fmt: skip


def test_ids_and_secrets_look_like_stripe(client: Any) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert pi.id.startswith("pi_")
    assert pi.client_secret.startswith(pi.id + "_secret_")
    event = client.v1.events.list().data[0]
    assert event.id.startswith("evt_")
    assert event.livemode is False

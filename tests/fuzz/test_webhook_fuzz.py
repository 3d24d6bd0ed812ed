"""Validly signed webhook bodies built from arbitrary JSON: always 2xx or 400, never a 5xx.

Whatever Stripe (or anyone holding the signing secret) sends, the inbox answers with a
stable status: stored and applied, ignored, or stored as `rejected` with a reason.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webhooks.test_hostile import sign_raw
from tests.webhooks.test_inbox import PATH

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
objects = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["pi_fuzz", "ch_fuzz", "pm_fuzz", "cus_fuzz"]) | json_values,
        "object": json_values,
        "status": st.sampled_from(["succeeded", "canceled"]) | json_values,
        "payment_intent": json_values,
        "amount_refunded": json_values,
        "customer": json_values,
        "metadata": json_values,
        "last_payment_error": json_values,
    },
)
events = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(lambda u: f"evt_{u.hex}") | json_values,
        "type": st.sampled_from(
            [
                "payment_intent.succeeded",
                "payment_intent.payment_failed",
                "charge.refunded",
                "payment_method.attached",
                "customer.created",
            ]
        )
        | json_values,
        "created": st.just(int(time.time())) | json_values,
        "livemode": json_values,
        "api_version": json_values,
        "data": st.fixed_dictionaries({}, optional={"object": objects | json_values}) | json_values,
        "request": json_values,
    },
)


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(event=events)
async def test_any_signed_event_is_answered_without_a_5xx(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    body = json.dumps(event).encode()
    response = await client.post(PATH, content=body, headers=sign_raw(body))
    assert response.status_code in (200, 400), response.text

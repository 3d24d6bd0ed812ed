"""The Stripe API route table: (method, path pattern) -> handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tender_testmode import (
    customers,
    endpoints,
    payment_intents,
    payment_methods,
    refunds,
    setup_intents,
)
from tender_testmode import objects as _objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.params import Params, check_allowed
from tender_testmode.store import Obj

Handler = Callable[..., Obj]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    publishable: bool = False  # callable with a pk_test_ key (Stripe.js calls)


def _balance(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, {"expand"})
    return _objects.balance()


_ID = r"([A-Za-z0-9_]+)"
_TABLE: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/v1/balance", _balance, False),
    ("POST", "/v1/customers", customers.create, False),
    ("GET", "/v1/customers", customers.list_, False),
    ("GET", f"/v1/customers/{_ID}", customers.retrieve, False),
    ("POST", f"/v1/customers/{_ID}", customers.update, False),
    ("DELETE", f"/v1/customers/{_ID}", customers.delete, False),
    ("GET", f"/v1/customers/{_ID}/payment_methods", payment_methods.list_for_customer, False),
    ("POST", "/v1/payment_methods", payment_methods.create, True),
    ("GET", "/v1/payment_methods", payment_methods.list_, False),
    ("GET", f"/v1/payment_methods/{_ID}", payment_methods.retrieve, False),
    ("POST", f"/v1/payment_methods/{_ID}", payment_methods.update, False),
    ("POST", f"/v1/payment_methods/{_ID}/attach", payment_methods.attach, False),
    ("POST", f"/v1/payment_methods/{_ID}/detach", payment_methods.detach, False),
    ("POST", "/v1/payment_intents", payment_intents.create, False),
    ("GET", "/v1/payment_intents", payment_intents.list_, False),
    ("GET", f"/v1/payment_intents/{_ID}", payment_intents.retrieve, True),
    ("POST", f"/v1/payment_intents/{_ID}", payment_intents.update, False),
    ("POST", f"/v1/payment_intents/{_ID}/confirm", payment_intents.confirm, True),
    ("POST", f"/v1/payment_intents/{_ID}/cancel", payment_intents.cancel, False),
    ("POST", f"/v1/payment_intents/{_ID}/capture", payment_intents.capture, False),
    ("POST", "/v1/setup_intents", setup_intents.create, False),
    ("GET", "/v1/setup_intents", setup_intents.list_, False),
    ("GET", f"/v1/setup_intents/{_ID}", setup_intents.retrieve, True),
    ("POST", f"/v1/setup_intents/{_ID}/confirm", setup_intents.confirm, True),
    ("POST", f"/v1/setup_intents/{_ID}/cancel", setup_intents.cancel, False),
    ("GET", "/v1/charges", refunds.list_charges, False),
    ("GET", f"/v1/charges/{_ID}", refunds.retrieve_charge, False),
    ("POST", "/v1/refunds", refunds.create, False),
    ("GET", "/v1/refunds", refunds.list_, False),
    ("GET", f"/v1/refunds/{_ID}", refunds.retrieve, False),
    ("POST", f"/v1/refunds/{_ID}", refunds.update, False),
    ("GET", "/v1/events", endpoints.list_events, False),
    ("GET", f"/v1/events/{_ID}", endpoints.retrieve_event, False),
    ("POST", "/v1/webhook_endpoints", endpoints.create_endpoint, False),
    ("GET", "/v1/webhook_endpoints", endpoints.list_endpoints, False),
    ("GET", f"/v1/webhook_endpoints/{_ID}", endpoints.retrieve_endpoint, False),
    ("POST", f"/v1/webhook_endpoints/{_ID}", endpoints.update_endpoint, False),
    ("DELETE", f"/v1/webhook_endpoints/{_ID}", endpoints.delete_endpoint, False),
]
ROUTES = [Route(m, re.compile(p + "$"), h, pk) for m, p, h, pk in _TABLE]

# Exact paths resolve with one dict lookup; the rest by regex, grouped by method.
_EXACT: dict[tuple[str, str], Route] = {
    (r.method, p): r for r, (_, p, _, _) in zip(ROUTES, _TABLE, strict=True) if "(" not in p
}
_PATTERNS: dict[str, list[Route]] = {}
for _route, _spec in zip(ROUTES, _TABLE, strict=True):
    if "(" in _spec[1]:
        _PATTERNS.setdefault(_route.method, []).append(_route)


def match(method: str, path: str) -> tuple[Route, tuple[Any, ...]] | None:
    route = _EXACT.get((method, path))
    if route is not None:
        return route, ()
    for route in _PATTERNS.get(method, ()):
        m = route.pattern.match(path)
        if m is not None:
            return route, m.groups()
    return None

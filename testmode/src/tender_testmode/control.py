"""Test-only control endpoints under ``/_test``: reset, stats, faults, webhook knobs, 3DS."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from tender_testmode import formdata, payment_intents, setup_intents
from tender_testmode.config import FaultRule, WebhookKnobs
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, invalid_request

Body = dict[str, Any]


def parse(body: bytes, content_type: bytes, query: bytes) -> Body:
    params: Body = formdata.decode(query) if query else {}
    if not body:
        return params
    if content_type.startswith(b"application/json"):
        try:
            loaded = json.loads(body)
        except ValueError as exc:
            raise invalid_request(f"Invalid JSON body: {exc}") from exc
        if not isinstance(loaded, dict):
            raise invalid_request("JSON body must be an object")
        params.update(loaded)
    else:
        params.update(formdata.decode(body))
    return params


def _validation(exc: ValidationError) -> StripeError:
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    return invalid_request(f"{loc}: {first['msg']}", param=loc or None)


async def handle(
    em: Emulator, ctx: RequestContext, method: str, path: str, params: Body
) -> Body | None:
    """Run a control request; None means the path is unknown."""
    parts = path.strip("/").split("/")[1:]
    route = (method, *parts)
    if route == ("POST", "reset"):
        em.reset()
        return {"ok": True}
    if route == ("GET", "stats"):
        return em.stats()
    if parts == ["faults"]:
        return _faults(em, method, params)
    if parts[:1] == ["webhooks"]:
        return await _webhooks(em, method, parts[1:], params)
    if route == ("GET", "deliveries"):
        keys = ("event_id", "event_type", "endpoint_id")
        data = [
            d for d in em.webhooks.deliveries if all(d[k] == params[k] for k in keys if k in params)
        ]
        return {"object": "list", "data": data}
    if method == "POST" and len(parts) == 3 and parts[2] == "authenticate":
        params = {k: v for k, v in params.items() if k == "outcome"}
        em.begin_change()
        try:
            if parts[0] == "payment_intents":
                return payment_intents.authenticate(em, ctx, params, parts[1])
            if parts[0] == "setup_intents":
                return setup_intents.authenticate(em, ctx, params, parts[1])
        finally:
            em.end_change()
    return None


def _faults(em: Emulator, method: str, params: Body) -> Body:
    if method == "DELETE":
        em.faults.clear()
    elif method == "POST":
        seed = params.pop("seed", None)
        replace = bool(params.pop("replace", False))
        raw_rules = params.pop("rules", None)
        try:
            rules = [FaultRule.model_validate(r) for r in (raw_rules or [])]
            if params:
                rules.append(FaultRule.model_validate(params))
        except ValidationError as exc:
            raise _validation(exc) from exc
        em.faults.set_rules(rules, int(seed) if seed is not None else None, replace)
    return {"rules": [r.model_dump() for r in em.faults.rules]}


async def _webhooks(em: Emulator, method: str, rest: list[str], params: Body) -> Body | None:
    hooks = em.webhooks
    if not rest:
        if method == "DELETE":
            hooks.knobs = em.config.webhook_knobs.model_copy()
        elif method == "POST":
            try:
                hooks.knobs = WebhookKnobs.model_validate({**hooks.knobs.model_dump(), **params})
            except ValidationError as exc:
                raise _validation(exc) from exc
        return {"knobs": hooks.knobs.model_dump(), "held": hooks.held, "pending": hooks.pending}
    if method == "POST" and rest == ["release"]:
        return {"released": hooks.release(params.get("order"))}
    if method == "POST" and rest == ["flush"]:
        ok = await hooks.flush(float(params.get("timeout", 10.0)))
        return {"ok": ok, "pending": hooks.pending, "held": hooks.held}
    return None


def knobs_from_header(em: Emulator, value: str) -> WebhookKnobs:
    """Per-call knobs from ``Emulator-Webhooks: duplicates=2,delay_ms=50,drop=true,hold=true``."""
    fields: Body = em.webhooks.knobs.model_dump()
    for item in value.split(","):
        key, _, raw = item.strip().partition("=")
        if key:
            fields[key] = raw
    try:
        return WebhookKnobs.model_validate(fields)
    except ValidationError as exc:
        raise _validation(exc) from exc

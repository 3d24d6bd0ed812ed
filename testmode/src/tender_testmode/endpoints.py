"""Events (retrieve, list) and webhook endpoints (create, list, retrieve, update, delete)."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from tender_testmode import objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import invalid_request
from tender_testmode.listing import LIST_PARAMS, paginate
from tender_testmode.params import Params, as_bool, as_list, as_str, check_allowed, metadata
from tender_testmode.store import Obj

_WE_FIELDS = frozenset({"url", "enabled_events", "description", "metadata", "expand"})


def retrieve_event(em: Emulator, ctx: RequestContext, params: Params, evt_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return em.store.require("event", evt_id)


def list_events(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"type", "types", "delivery_success"})
    type_ = as_str(params, "type")
    types = set(as_list(params["types"], "types")) if "types" in params else None

    def where(o: Obj) -> bool:
        t: str = o["type"]
        if types is not None and t not in types:
            return False
        if type_ is None:
            return True
        if type_.endswith("*"):
            return t.startswith(type_[:-1])
        return t == type_

    return paginate(em.store, "event", params, "/v1/events", where)


def _url(value: object) -> str:
    parsed = urlparse(str(value))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid_request(f"Invalid URL: {value}", param="url", save_idempotent=False)
    return str(value)


def _events(value: object) -> list[str]:
    events = [str(e) for e in as_list(value, "enabled_events")]
    if not events:
        raise invalid_request(
            "enabled_events must contain at least one event type.",
            param="enabled_events",
            save_idempotent=False,
        )
    return events


def create_endpoint(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, _WE_FIELDS | {"api_version", "connect"})
    if "url" not in params:
        raise invalid_request(
            "Missing required param: url.",
            param="url",
            code="parameter_missing",
            save_idempotent=False,
        )
    if "enabled_events" not in params:
        raise invalid_request(
            "Missing required param: enabled_events.",
            param="enabled_events",
            code="parameter_missing",
            save_idempotent=False,
        )
    we = objects.webhook_endpoint(_url(params["url"]), _events(params["enabled_events"]))
    we["description"] = as_str(params, "description")
    we["metadata"] = metadata(params.get("metadata", {}))
    we["api_version"] = as_str(params, "api_version")
    secret = em.config.webhook_secret or "whsec_" + secrets.token_hex(24)
    em.webhooks.secrets[we["id"]] = secret
    em.store.add(we)
    return {**we, "secret": secret}


def retrieve_endpoint(em: Emulator, ctx: RequestContext, params: Params, we_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return em.store.require("webhook_endpoint", we_id)


def update_endpoint(em: Emulator, ctx: RequestContext, params: Params, we_id: str) -> Obj:
    check_allowed(params, _WE_FIELDS | {"disabled"})
    we = em.store.require("webhook_endpoint", we_id)
    if "url" in params:
        we["url"] = _url(params["url"])
    if "enabled_events" in params:
        we["enabled_events"] = _events(params["enabled_events"])
    if "description" in params:
        we["description"] = as_str(params, "description")
    if "metadata" in params:
        we["metadata"] = metadata(params["metadata"], we["metadata"])
    if "disabled" in params:
        we["status"] = "disabled" if as_bool(params["disabled"], "disabled") else "enabled"
    return we


def delete_endpoint(em: Emulator, ctx: RequestContext, params: Params, we_id: str) -> Obj:
    check_allowed(params, set())
    em.store.require("webhook_endpoint", we_id)
    em.store["webhook_endpoint"].pop(we_id)
    em.webhooks.secrets.pop(we_id, None)
    return {"deleted": True, "id": we_id, "object": "webhook_endpoint"}


def list_endpoints(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS)
    return paginate(em.store, "webhook_endpoint", params, "/v1/webhook_endpoints")

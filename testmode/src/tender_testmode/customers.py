"""Customers: create, retrieve, update, list, delete."""

from __future__ import annotations

from tender_testmode import objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.listing import LIST_PARAMS, expand, paginate
from tender_testmode.params import Params, as_str, check_allowed, expand_fields, metadata
from tender_testmode.payment_methods import attach_to
from tender_testmode.store import Obj

_FIELDS = ("email", "name", "phone", "description")
_ADDRESS = frozenset({"city", "country", "line1", "line2", "postal_code", "state"})
_WRITABLE = frozenset({*_FIELDS, "metadata", "expand", "address", "invoice_settings"})
_CREATE = _WRITABLE | {"payment_method"}


def _apply(obj: Obj, params: Params) -> dict[str, object]:
    previous: dict[str, object] = {}
    for key in _FIELDS:
        if key in params:
            previous[key] = obj[key]
            obj[key] = as_str(params, key)
    if "metadata" in params:
        previous["metadata"] = obj["metadata"]
        obj["metadata"] = metadata(params["metadata"], obj["metadata"])
    if "address" in params:
        address = params["address"]
        previous["address"] = obj["address"]
        if address == "":
            obj["address"] = None
        elif isinstance(address, dict):
            check_allowed(address, _ADDRESS, "address")
            obj["address"] = {k: address.get(k) or None for k in sorted(_ADDRESS)}
    settings = params.get("invoice_settings")
    if isinstance(settings, dict):
        check_allowed(settings, {"default_payment_method"}, "invoice_settings")
        previous["invoice_settings"] = objects.clone(obj["invoice_settings"])
        obj["invoice_settings"]["default_payment_method"] = (
            settings.get("default_payment_method") or None
        )
    return previous


def create(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, _CREATE)
    obj = objects.customer({})
    _apply(obj, params)
    pm_id = as_str(params, "payment_method")
    em.store.add(obj)
    em.emit(ctx, "customer.created", obj)
    if pm_id:
        pm = attach_to(em, ctx, pm_id, obj, "payment_method")
        if obj["invoice_settings"]["default_payment_method"] == pm_id:
            obj["invoice_settings"]["default_payment_method"] = pm["id"]
    return expand(em.store, obj, expand_fields(params))


def retrieve(em: Emulator, ctx: RequestContext, params: Params, cus_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return em.store.require("customer", cus_id)


def update(em: Emulator, ctx: RequestContext, params: Params, cus_id: str) -> Obj:
    check_allowed(params, _WRITABLE)
    obj = em.store.require("customer", cus_id)
    previous = _apply(obj, params)
    if previous:
        em.emit(ctx, "customer.updated", obj, previous)
    return obj


def delete(em: Emulator, ctx: RequestContext, params: Params, cus_id: str) -> Obj:
    check_allowed(params, set())
    obj = em.store.require("customer", cus_id)
    em.store["customer"].pop(cus_id)
    em.emit(ctx, "customer.deleted", obj)
    return {"id": cus_id, "object": "customer", "deleted": True}


def list_(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"email"})
    email = params.get("email")
    where = (lambda o: o["email"] == email) if email else None
    return paginate(em.store, "customer", params, "/v1/customers", where)

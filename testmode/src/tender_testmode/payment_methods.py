"""PaymentMethods: create from card details, ready-made ``pm_card_*`` ids, attach/detach."""

from __future__ import annotations

import time

from tender_testmode import cards, objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, invalid_request, missing_parameter
from tender_testmode.listing import LIST_PARAMS, paginate
from tender_testmode.params import Params, as_str, check_allowed, metadata, require
from tender_testmode.store import Obj

# Params Stripe.js sends alongside a publishable-key PaymentMethod creation.
_STRIPE_JS = frozenset(
    {"key", "payment_user_agent", "guid", "muid", "sid", "time_on_page", "referrer"}
)
_CREATE = frozenset({"type", "card", "billing_details", "metadata", "expand"}) | _STRIPE_JS
_CARD = frozenset({"number", "exp_month", "exp_year", "cvc", "token"})
_BILLING = frozenset({"address", "email", "name", "phone", "tax_id"})


def _card_error(code: str, message: str, param: str) -> StripeError:
    return StripeError(402, "card_error", message, code=code, param=param)


def _expiry(card: Params) -> tuple[int, int]:
    month_raw, year_raw = card.get("exp_month"), card.get("exp_year")
    if month_raw is None:
        raise missing_parameter("card[exp_month]")
    if year_raw is None:
        raise missing_parameter("card[exp_year]")
    if not str(month_raw).isdigit() or not 1 <= int(month_raw) <= 12:
        raise _card_error(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        )
    if not str(year_raw).isdigit():
        raise _card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    month, year = int(month_raw), int(year_raw)
    if year < 100:
        year += 2000
    today = time.gmtime()
    if year < today.tm_year or (year == today.tm_year and month < today.tm_mon) or year > 2100:
        raise _card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    return month, year


def _store_new(em: Emulator, card: cards.TestCard, obj: Obj) -> Obj:
    em.store.add(obj)
    em.cards.put(obj["id"], card)
    return obj


def from_alias(em: Emulator, alias: str) -> Obj | None:
    number = cards.PM_ALIASES.get(alias)
    if number is None:
        return None
    card = cards.CARDS[number]
    exp_year = time.gmtime().tm_year + 5
    obj = objects.payment_method(
        card, 12, exp_year, cvc_given=False, billing_details=None, metadata=None
    )
    return _store_new(em, card, obj)


def resolve(em: Emulator, pm_id: str, param: str = "payment_method") -> Obj:
    """The PaymentMethod ``pm_id``; a ``pm_card_*`` alias yields a fresh copy like Stripe."""
    obj = em.store["payment_method"].get(pm_id)
    if obj is not None:
        return obj
    obj = from_alias(em, pm_id)
    if obj is None:
        raise invalid_request(
            f"No such PaymentMethod: '{pm_id}'", param=param, code="resource_missing", status=404
        )
    return obj


def create(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, _CREATE)
    type_ = require(params, "type")
    if type_ != "card":
        raise invalid_request(
            f"Invalid payment_method type: {type_}. The emulator supports: card.",
            param="type",
            code="parameter_invalid_string",
            save_idempotent=False,
        )
    card_params = params.get("card")
    if not isinstance(card_params, dict):
        raise missing_parameter("card")
    check_allowed(card_params, _CARD, "card")
    number = str(card_params.get("number") or "").replace(" ", "")
    if not number:
        raise missing_parameter("card[number]")
    card = cards.lookup(number)
    if card is None or card.decline is cards.INCORRECT_NUMBER:
        raise _card_error("incorrect_number", "Your card number is incorrect.", "number")
    month, year = _expiry(card_params)
    cvc = card_params.get("cvc")
    if cvc is not None and (not str(cvc).isdigit() or not 3 <= len(str(cvc)) <= 4):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    billing = params.get("billing_details")
    if billing is not None:
        if not isinstance(billing, dict):
            raise missing_parameter("billing_details")
        check_allowed(billing, _BILLING, "billing_details")
    obj = objects.payment_method(
        card,
        month,
        year,
        cvc_given=cvc is not None,
        billing_details=billing,
        metadata=metadata(params.get("metadata", {})),
    )
    return _store_new(em, card, obj)


def retrieve(em: Emulator, ctx: RequestContext, params: Params, pm_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return resolve(em, pm_id, "id")


def update(em: Emulator, ctx: RequestContext, params: Params, pm_id: str) -> Obj:
    check_allowed(params, {"metadata", "billing_details", "expand"})
    obj = em.store.require("payment_method", pm_id)
    previous: dict[str, object] = {}
    if "metadata" in params:
        previous["metadata"] = obj["metadata"]
        obj["metadata"] = metadata(params["metadata"], obj["metadata"])
    billing = params.get("billing_details")
    if isinstance(billing, dict):
        check_allowed(billing, _BILLING, "billing_details")
        previous["billing_details"] = objects.clone(obj["billing_details"])
        for key in ("email", "name", "phone"):
            if key in billing:
                obj["billing_details"][key] = billing[key] or None
    em.emit(ctx, "payment_method.updated", obj, previous)
    return obj


def attach_to(em: Emulator, ctx: RequestContext, pm_id: str, customer: Obj, param: str) -> Obj:
    pm = resolve(em, pm_id, param)
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None:
        raise invalid_request(
            "The payment method you provided has already been attached to a customer.",
            param=param,
        )
    card = em.cards.get(pm["id"])
    if card is not None and card.decline is not None and card.number != "4000000000000341":
        d = card.decline
        raise StripeError(
            402, "card_error", d.message, code=d.code, decline_code=d.decline_code, param=d.param
        )
    pm["customer"] = customer["id"]
    em.emit(ctx, "payment_method.attached", pm, {"customer": None})
    return pm


def attach(em: Emulator, ctx: RequestContext, params: Params, pm_id: str) -> Obj:
    check_allowed(params, {"customer", "expand"})
    cus_id = require(params, "customer")
    customer = em.store.require("customer", str(cus_id), "customer")
    return attach_to(em, ctx, pm_id, customer, "payment_method")


def detach(em: Emulator, ctx: RequestContext, params: Params, pm_id: str) -> Obj:
    check_allowed(params, {"expand"})
    pm = em.store.require("payment_method", pm_id)
    if pm["customer"] is None:
        raise invalid_request(
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible.",
            param="payment_method",
        )
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    em.emit(ctx, "payment_method.detached", pm, previous)
    return pm


def list_(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"customer", "type"})
    customer, type_ = as_str(params, "customer"), as_str(params, "type")
    if customer is not None:
        em.store.require("customer", customer, "customer")

    def where(o: Obj) -> bool:
        return (customer is None or o["customer"] == customer) and (
            type_ is None or o["type"] == type_
        )

    return paginate(em.store, "payment_method", params, "/v1/payment_methods", where)


def list_for_customer(em: Emulator, ctx: RequestContext, params: Params, cus_id: str) -> Obj:
    check_allowed(params, LIST_PARAMS | {"type", "allow_redisplay"})
    em.store.require("customer", cus_id)
    type_ = as_str(params, "type")

    def where(o: Obj) -> bool:
        return o["customer"] == cus_id and (type_ is None or o["type"] == type_)

    url = f"/v1/customers/{cus_id}/payment_methods"
    return paginate(em.store, "payment_method", params, url, where)

"""SetupIntents: save a card for later (create, confirm, retrieve, cancel, list)."""

from __future__ import annotations

from typing import Any

from tender_testmode import cards, objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, invalid_request
from tender_testmode.listing import LIST_PARAMS, expand, paginate
from tender_testmode.params import (
    Params,
    as_bool,
    as_str,
    check_allowed,
    expand_fields,
    metadata,
)
from tender_testmode.payment_methods import attach_to, resolve
from tender_testmode.store import Obj, new_id

_CONFIRM = frozenset({"payment_method", "return_url", "expand", "client_secret", "mandate_data",
                      "use_stripe_sdk", "payment_method_options"})  # fmt: skip
_CREATE = _CONFIRM | {"customer", "confirm", "usage", "payment_method_types", "metadata",
                      "description", "automatic_payment_methods"}  # fmt: skip
_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def _unexpected(si: Obj, verb: str) -> StripeError:
    return invalid_request(
        f"You cannot {verb} this SetupIntent because it has a status of {si['status']}.",
        code="setup_intent_unexpected_state",
    )


def _check_secret(ctx: RequestContext, si: Obj, params: Params) -> None:
    secret = params.get("client_secret")
    if (ctx.publishable and secret is None) or (
        secret is not None and secret != si["client_secret"]
    ):
        raise invalid_request(
            "The client_secret provided does not match any associated SetupIntent on this account.",
            param="client_secret",
            code="setup_intent_invalid_parameter",
        )


def _succeed(em: Emulator, ctx: RequestContext, si: Obj, pm: Obj) -> None:
    if si["customer"]:
        customer = em.store.require("customer", si["customer"], "customer")
        attach_to(em, ctx, pm["id"], customer, "payment_method")
    em.setup_for_off_session.put(pm["id"], True)
    si.update(status="succeeded", next_action=None, last_setup_error=None)
    em.emit(ctx, "setup_intent.succeeded", si)


def _run(em: Emulator, ctx: RequestContext, si: Obj, params: Params) -> None:
    if params.get("payment_method"):
        si["payment_method"] = resolve(em, str(params["payment_method"]))["id"]
    if not si["payment_method"]:
        raise invalid_request(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            param="payment_method",
            code="setup_intent_unexpected_state",
        )
    pm = em.store.require("payment_method", si["payment_method"], "payment_method")
    card = em.cards.get(pm["id"]) or cards.CARDS["4242424242424242"]
    if card.decline is not None and card.number != "4000000000000341":
        d = card.decline
        error: dict[str, Any] = {
            "type": "card_error", "code": d.code, "decline_code": d.decline_code,
            "message": d.message, "param": d.param, "payment_method": objects.clone(pm),
        }  # fmt: skip
        si.update(status="requires_payment_method", last_setup_error=error, payment_method=None)
        em.emit(ctx, "setup_intent.setup_failed", si)
        raise StripeError(
            402,
            "card_error",
            d.message,
            code=d.code,
            decline_code=d.decline_code,
            param=d.param,
            setup_intent=objects.clone(si),
        )
    if card.three_ds in ("required", "on_session"):
        si["status"] = "requires_action"
        si["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "source": new_id("src")},
        }
        em.emit(ctx, "setup_intent.requires_action", si)
        return
    _succeed(em, ctx, si, pm)


def create(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, _CREATE)
    si = objects.setup_intent()
    cus = as_str(params, "customer")
    if cus is not None:
        em.store.require("customer", cus, "customer")
        si["customer"] = cus
    si["description"] = as_str(params, "description")
    si["metadata"] = metadata(params.get("metadata", {}))
    if params.get("usage") in ("on_session", "off_session"):
        si["usage"] = params["usage"]
    if params.get("payment_method"):
        si["payment_method"] = resolve(em, str(params["payment_method"]))["id"]
        si["status"] = "requires_confirmation"
    em.store.add(si)
    em.emit(ctx, "setup_intent.created", si)
    if as_bool(params.get("confirm", "false"), "confirm"):
        _run(em, ctx, si, params)
    return expand(em.store, si, expand_fields(params))


def retrieve(em: Emulator, ctx: RequestContext, params: Params, si_id: str) -> Obj:
    check_allowed(params, {"expand", "client_secret"})
    si = em.store.require("setup_intent", si_id)
    _check_secret(ctx, si, params)
    return expand(em.store, si, expand_fields(params))


def confirm(em: Emulator, ctx: RequestContext, params: Params, si_id: str) -> Obj:
    check_allowed(params, _CONFIRM)
    si = em.store.require("setup_intent", si_id)
    _check_secret(ctx, si, params)
    if si["status"] not in _CONFIRMABLE:
        raise _unexpected(si, "confirm")
    _run(em, ctx, si, params)
    return expand(em.store, si, expand_fields(params))


def cancel(em: Emulator, ctx: RequestContext, params: Params, si_id: str) -> Obj:
    check_allowed(params, {"cancellation_reason", "expand"})
    si = em.store.require("setup_intent", si_id)
    if si["status"] not in _CONFIRMABLE:
        raise _unexpected(si, "cancel")
    si.update(
        status="canceled", cancellation_reason=params.get("cancellation_reason"), next_action=None
    )
    em.emit(ctx, "setup_intent.canceled", si)
    return si


def authenticate(em: Emulator, ctx: RequestContext, params: Params, si_id: str) -> Obj:
    """Test-only: ``POST /_test/setup_intents/{id}/authenticate`` outcome=succeed|fail."""
    check_allowed(params, {"outcome"})
    si = em.store.require("setup_intent", si_id)
    if si["status"] != "requires_action":
        raise _unexpected(si, "authenticate")
    pm = em.store.require("payment_method", si["payment_method"], "payment_method")
    if params.get("outcome", "succeed") == "fail":
        si.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_setup_error={
                "type": "invalid_request_error",
                "code": "setup_intent_authentication_failure",
                "message": "The latest attempt to set up the payment "
                "method has failed because authentication failed.",
            },
        )
        em.emit(ctx, "setup_intent.setup_failed", si)
        return si
    _succeed(em, ctx, si, pm)
    return si


def list_(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"customer", "payment_method"})
    cus = as_str(params, "customer")
    where = (lambda o: o["customer"] == cus) if cus else None
    return paginate(em.store, "setup_intent", params, "/v1/setup_intents", where)

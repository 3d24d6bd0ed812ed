"""PaymentIntents: create, retrieve, update, confirm, cancel, capture, list."""

from __future__ import annotations

from typing import Any

from tender_testmode import confirmation, objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, invalid_request
from tender_testmode.listing import LIST_PARAMS, expand, paginate
from tender_testmode.params import (
    Params,
    amount,
    as_bool,
    as_int,
    as_list,
    as_str,
    check_allowed,
    currency,
    expand_fields,
    metadata,
    require,
)
from tender_testmode.payment_methods import resolve
from tender_testmode.store import Obj, now

_COMMON = frozenset(
    {
        "amount", "currency", "customer", "description", "metadata", "payment_method",
        "payment_method_types", "receipt_email", "setup_future_usage", "capture_method",
        "statement_descriptor", "statement_descriptor_suffix", "expand", "shipping",
        "payment_method_options", "transfer_group",
    }
)  # fmt: skip
_CONFIRM = frozenset(
    {
        "payment_method", "return_url", "off_session", "receipt_email", "setup_future_usage",
        "capture_method", "error_on_requires_action", "use_stripe_sdk", "mandate_data",
        "payment_method_options", "payment_method_types", "expand", "client_secret", "shipping",
    }
)  # fmt: skip
_CREATE = _COMMON | _CONFIRM | {"confirm", "automatic_payment_methods", "confirmation_method"}
_CANCELABLE = (
    "requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
    "processing",
)  # fmt: skip
_CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
_UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def _capture_method(value: Any) -> str:
    if value not in ("automatic", "automatic_async", "manual"):
        raise invalid_request(
            f"Invalid capture_method: {value}", param="capture_method", save_idempotent=False
        )
    return str(value)


def _apply_common(em: Emulator, pi: Obj, params: Params) -> None:
    if "customer" in params:
        cus = as_str(params, "customer")
        if cus is not None:
            em.store.require("customer", cus, "customer")
        pi["customer"] = cus
    for key in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_group",
        "setup_future_usage",
    ):
        if key in params:
            pi[key] = as_str(params, key)
    if "metadata" in params:
        pi["metadata"] = metadata(params["metadata"], pi["metadata"])
    if "capture_method" in params:
        pi["capture_method"] = _capture_method(params["capture_method"])
    if "payment_method_types" in params:
        types = as_list(params["payment_method_types"], "payment_method_types")
        if any(t != "card" for t in types):
            raise invalid_request(
                "The emulator only supports the card payment method type.",
                param="payment_method_types",
                save_idempotent=False,
            )
        pi["payment_method_types"] = types or ["card"]
    if params.get("payment_method"):
        pm = resolve(em, str(params["payment_method"]))
        if pm["customer"] is not None and pi["customer"] not in (None, pm["customer"]):
            raise invalid_request(
                f"The provided PaymentMethod {pm['id']} belongs to a different Customer.",
                param="payment_method",
            )
        pi["payment_method"] = pm["id"]
        if pi["status"] == "requires_payment_method":
            pi["status"] = "requires_confirmation"


def _respond(em: Emulator, pi: Obj, params: Params) -> Obj:
    return expand(em.store, pi, expand_fields(params))


def create(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, _CREATE)
    cur = currency(require(params, "currency"))
    pi = objects.payment_intent(amount(require(params, "amount"), cur), cur)
    apm = params.get("automatic_payment_methods")
    if apm is not None:
        if "payment_method_types" in params:
            raise invalid_request(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                param="automatic_payment_methods",
                save_idempotent=False,
            )
        if not isinstance(apm, dict):
            raise invalid_request("Invalid object", param="automatic_payment_methods")
        check_allowed(apm, {"enabled", "allow_redirects"}, "automatic_payment_methods")
        enabled = as_bool(apm.get("enabled", "false"), "automatic_payment_methods[enabled]")
        pi["automatic_payment_methods"] = {"enabled": enabled}
        if "allow_redirects" in apm:
            pi["automatic_payment_methods"]["allow_redirects"] = apm["allow_redirects"]
    _apply_common(em, pi, params)
    if params.get("confirmation_method") == "manual":
        pi["confirmation_method"] = "manual"
    confirm = as_bool(params.get("confirm", "false"), "confirm")
    if not confirm and ("return_url" in params or "off_session" in params):
        raise invalid_request(
            "You can only set return_url and off_session when confirm is true.",
            param="return_url" if "return_url" in params else "off_session",
            save_idempotent=False,
        )
    em.store.add(pi)
    em.emit(ctx, "payment_intent.created", pi)
    if confirm:
        _confirm(em, ctx, pi, params)
    return _respond(em, pi, params)


def _check_secret(ctx: RequestContext, obj: Obj, params: Params) -> None:
    secret = params.get("client_secret")
    if ctx.publishable and secret is None:
        raise invalid_request(
            "This API call cannot be made with a publishable API key without a client_secret.",
            param="client_secret",
        )
    if secret is not None and secret != obj["client_secret"]:
        raise invalid_request(
            "The client_secret provided does not match any associated PaymentIntent on this "
            "account.",
            param="client_secret",
            code="payment_intent_invalid_parameter",
        )


def retrieve(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    check_allowed(params, {"expand", "client_secret"})
    pi = em.store.require("payment_intent", pi_id)
    _check_secret(ctx, pi, params)
    return _respond(em, pi, params)


def update(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    check_allowed(params, _COMMON)
    pi = em.store.require("payment_intent", pi_id)
    if pi["status"] not in _UPDATABLE and set(params) - {"metadata", "description", "expand"}:
        raise confirmation.unexpected_state(pi, "update", _UPDATABLE)
    if "currency" in params:
        pi["currency"] = currency(params["currency"])
    if "amount" in params:
        pi["amount"] = amount(params["amount"], pi["currency"])
    _apply_common(em, pi, params)
    return _respond(em, pi, params)


def _confirm(em: Emulator, ctx: RequestContext, pi: Obj, params: Params) -> None:
    state = em.intent_state(pi["id"])
    state.return_url = as_str(params, "return_url")
    off_session = params.get("off_session")
    state.off_session = off_session in ("one_off", "recurring") or (
        off_session is not None and as_bool(off_session, "off_session")
    )
    apm = pi["automatic_payment_methods"]
    if (
        apm
        and apm.get("enabled")
        and apm.get("allow_redirects", "always") != "never"
        and state.return_url is None
        and not state.off_session
    ):
        raise invalid_request(
            "This PaymentIntent is configured to accept payment methods enabled in your "
            "Dashboard, some of which may require a full page redirect to succeed. If you do "
            "not want to accept redirect-based payment methods, set "
            "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup "
            "Intents and Payment Intents. If you do want to accept redirect-based payment "
            "methods, set the `return_url` parameter when confirming the PaymentIntent.",
            param="return_url",
        )
    if pi["payment_method"] is None:
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "To confirm the PaymentIntent with a card, pass `payment_method`.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    pm = resolve(em, pi["payment_method"])
    confirmation.run(em, ctx, pi, pm)
    if pi["status"] == "requires_action" and params.get("error_on_requires_action") == "true":
        raise StripeError(
            402,
            "card_error",
            "This payment requires authentication.",
            code="authentication_required",
            decline_code="authentication_required",
            payment_intent=objects.clone(pi),
        )


def confirm(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    check_allowed(params, _CONFIRM | {"capture_method"})
    pi = em.store.require("payment_intent", pi_id)
    _check_secret(ctx, pi, params)
    if pi["status"] not in confirmation.CONFIRMABLE:
        raise confirmation.unexpected_state(pi, "confirm", confirmation.CONFIRMABLE)
    _apply_common(em, pi, {k: v for k, v in params.items() if k in _COMMON})
    _confirm(em, ctx, pi, params)
    return _respond(em, pi, params)


def cancel(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    check_allowed(params, {"cancellation_reason", "expand"})
    pi = em.store.require("payment_intent", pi_id)
    reason = params.get("cancellation_reason")
    if reason is not None and reason not in _CANCEL_REASONS:
        raise invalid_request(
            f"Invalid cancellation_reason: must be one of {', '.join(_CANCEL_REASONS)}",
            param="cancellation_reason",
            save_idempotent=False,
        )
    if pi["status"] not in _CANCELABLE:
        raise confirmation.unexpected_state(pi, "cancel", _CANCELABLE)
    if pi["status"] == "requires_capture" and pi["latest_charge"]:
        ch = em.store["charge"].get(pi["latest_charge"])
        if ch is not None:
            ch["amount_refunded"] = ch["amount"]
            ch["refunded"] = True
    pi.update(
        status="canceled",
        cancellation_reason=reason,
        canceled_at=now(),
        next_action=None,
        amount_capturable=0,
    )
    em.emit(ctx, "payment_intent.canceled", pi)
    return _respond(em, pi, params)


def capture(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    check_allowed(
        params,
        {
            "amount_to_capture",
            "metadata",
            "expand",
            "final_capture",
            "statement_descriptor",
            "statement_descriptor_suffix",
        },
    )
    pi = em.store.require("payment_intent", pi_id)
    if pi["status"] != "requires_capture":
        raise confirmation.unexpected_state(pi, "capture", ("requires_capture",))
    capturable = pi["amount_capturable"]
    to_capture = capturable
    if "amount_to_capture" in params:
        to_capture = as_int(params["amount_to_capture"], "amount_to_capture", minimum=1)
        if to_capture > capturable:
            raise invalid_request(
                "The amount to capture must be less than or equal to the authorized amount "
                f"({capturable}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
    if "metadata" in params:
        pi["metadata"] = metadata(params["metadata"], pi["metadata"])
    ch = em.store.require("charge", pi["latest_charge"], "latest_charge")
    previous = {"amount_captured": ch["amount_captured"], "captured": ch["captured"]}
    ch.update(captured=True, amount_captured=to_capture, amount_refunded=ch["amount"] - to_capture)
    pi.update(status="succeeded", amount_received=to_capture, amount_capturable=0)
    em.emit(ctx, "charge.captured", ch, previous)
    em.emit(ctx, "payment_intent.succeeded", pi)
    return _respond(em, pi, params)


def list_(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"customer"})
    customer = as_str(params, "customer")
    where = (lambda o: o["customer"] == customer) if customer else None
    return paginate(em.store, "payment_intent", params, "/v1/payment_intents", where)


def authenticate(em: Emulator, ctx: RequestContext, params: Params, pi_id: str) -> Obj:
    """Test-only: ``POST /_test/payment_intents/{id}/authenticate`` outcome=succeed|fail."""
    check_allowed(params, {"outcome"})
    outcome = params.get("outcome", "succeed")
    if outcome not in ("succeed", "fail"):
        raise invalid_request("outcome must be succeed or fail", param="outcome")
    pi = em.store.require("payment_intent", pi_id)
    confirmation.authenticate(em, ctx, pi, outcome == "succeed")
    return pi

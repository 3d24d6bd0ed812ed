"""Charges (read-only) and refunds: full and partial, never more than captured."""

from __future__ import annotations

from tender_testmode import objects
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, invalid_request
from tender_testmode.listing import LIST_PARAMS, expand, paginate
from tender_testmode.params import (
    Params,
    as_int,
    as_str,
    check_allowed,
    expand_fields,
    metadata,
)
from tender_testmode.store import Obj

_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"


def _charge_for(em: Emulator, params: Params) -> Obj:
    ch_id, pi_id = as_str(params, "charge"), as_str(params, "payment_intent")
    if ch_id is None and pi_id is None:
        raise invalid_request(
            "One of the following params should be provided for this request: charge or "
            "payment_intent.",
            save_idempotent=False,
        )
    if ch_id is not None:
        return em.store.require("charge", ch_id, "charge")
    assert pi_id is not None
    pi = em.store.require("payment_intent", pi_id, "payment_intent")
    charge_id = pi["latest_charge"]
    ch = em.store["charge"].get(charge_id) if charge_id else None
    if ch is None or ch["status"] != "succeeded":
        raise invalid_request(
            f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
            param="payment_intent",
            code="charge_not_refundable",
        )
    return ch


def create(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(
        params, {"charge", "payment_intent", "amount", "reason", "metadata", "expand",
                 "instructions_email"},
    )  # fmt: skip
    ch = _charge_for(em, params)
    if not ch["captured"]:
        raise invalid_request(
            f"Charge {ch['id']} has not been captured; cancel the PaymentIntent to release the "
            "authorization instead.",
            param="charge",
            code="charge_not_refundable",
        )
    remaining = ch["amount"] - ch["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(
            f"Charge {ch['id']} has already been refunded.",
            param="charge",
            code="charge_already_refunded",
        )
    amount = remaining
    if "amount" in params:
        amount = as_int(params["amount"], "amount", minimum=1)
        if amount > remaining:
            what = "charge amount" if ch["amount_refunded"] == 0 else "unrefunded amount on charge"
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({_money(amount, ch['currency'])}) is greater than {what} "
                f"({_money(remaining, ch['currency'])})",
                code="amount_too_large",
                param="amount",
            )
    reason = params.get("reason")
    if reason is not None and reason not in _REASONS:
        raise invalid_request(
            f"Invalid reason: must be one of {', '.join(_REASONS)}",
            param="reason",
            save_idempotent=False,
        )
    refund = objects.refund(ch, amount, reason, metadata(params.get("metadata", {})))
    em.store.add(refund)
    previous = {
        "amount_refunded": ch["amount_refunded"],
        "refunded": ch["refunded"],
    }
    ch["amount_refunded"] += amount
    ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
    refunds = ch["refunds"]
    refunds["data"] = [refund, *refunds["data"]][:10]
    refunds["has_more"] = len(refunds["data"]) >= 10
    em.emit(ctx, "refund.created", refund)
    em.emit(ctx, "charge.refunded", ch, previous)
    return expand(em.store, refund, expand_fields(params))


def retrieve(em: Emulator, ctx: RequestContext, params: Params, re_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return expand(em.store, em.store.require("refund", re_id), expand_fields(params))


def update(em: Emulator, ctx: RequestContext, params: Params, re_id: str) -> Obj:
    check_allowed(params, {"metadata", "expand"})
    refund = em.store.require("refund", re_id)
    if "metadata" in params:
        refund["metadata"] = metadata(params["metadata"], refund["metadata"])
    return refund


def list_(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"charge", "payment_intent"})
    ch_id, pi_id = as_str(params, "charge"), as_str(params, "payment_intent")

    def where(o: Obj) -> bool:
        return (ch_id is None or o["charge"] == ch_id) and (
            pi_id is None or o["payment_intent"] == pi_id
        )

    return paginate(em.store, "refund", params, "/v1/refunds", where)


def retrieve_charge(em: Emulator, ctx: RequestContext, params: Params, ch_id: str) -> Obj:
    check_allowed(params, {"expand"})
    return expand(em.store, em.store.require("charge", ch_id), expand_fields(params))


def list_charges(em: Emulator, ctx: RequestContext, params: Params) -> Obj:
    check_allowed(params, LIST_PARAMS | {"customer", "payment_intent", "transfer_group"})
    cus, pi_id = as_str(params, "customer"), as_str(params, "payment_intent")
    source = None
    if pi_id is not None:
        state = em.intents.get(pi_id)
        ids = reversed(state.charges) if state else ()
        source = [c for c in (em.store["charge"].get(i) for i in ids) if c is not None]

    def where(o: Obj) -> bool:
        return cus is None or o["customer"] == cus

    return paginate(em.store, "charge", params, "/v1/charges", where, source)

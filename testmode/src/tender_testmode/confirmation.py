"""Confirming a PaymentIntent: 3-D Secure, declines, charges, manual capture."""

from __future__ import annotations

from typing import Any

from tender_testmode import cards, objects
from tender_testmode.cards import Decline
from tender_testmode.engine import Emulator, IntentState, RequestContext
from tender_testmode.errors import StripeError, invalid_request
from tender_testmode.store import Obj, new_id

CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
AUTH_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def unexpected_state(pi: Obj, action: str, allowed: tuple[str, ...]) -> StripeError:
    past = {"cancel": "canceled", "capture": "captured", "update": "updated"}.get(
        action, action + "ed"
    )
    return invalid_request(
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {past}: "
        + ", ".join(allowed)
        + ".",
        code="payment_intent_unexpected_state",
    )


def needs_authentication(em: Emulator, card: cards.TestCard, pm: Obj, state: IntentState) -> bool:
    if state.authenticated:
        return False
    if card.three_ds == "required":
        return True
    if card.three_ds == "on_session":
        return not (state.off_session and em.setup_for_off_session.get(pm["id"]))
    return False


def next_action(pi: Obj, state: IntentState) -> dict[str, Any]:
    url = f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={pi['id']}"
    if state.return_url:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": state.return_url, "url": url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": url,
            "source": new_id("src"),
        },
    }


def _fail(
    em: Emulator,
    ctx: RequestContext,
    pi: Obj,
    pm: Obj,
    d: Decline,
    charge_id: str | None,
    type_: str = "card_error",
) -> StripeError:
    error: dict[str, Any] = {
        "type": type_,
        "code": d.code,
        "decline_code": d.decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{d.code}",
        "message": d.message,
        "param": d.param,
        "payment_method": objects.clone(pm),
    }
    if charge_id:
        error["charge"] = charge_id
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = error
    pi["payment_method"] = None
    pi["next_action"] = None
    pi["amount_capturable"] = 0
    em.emit(ctx, "payment_intent.payment_failed", pi)
    extra = {"charge": charge_id} if charge_id else None
    return StripeError(
        402,
        type_,
        d.message,
        code=d.code,
        decline_code=d.decline_code,
        param=d.param,
        payment_intent=objects.clone(pi),
        payment_method=objects.clone(pm),
        extra=extra,
    )


def _charge(
    em: Emulator, ctx: RequestContext, pi: Obj, pm: Obj, card: cards.TestCard, state: IntentState
) -> StripeError | None:
    decline = card.decline_after_auth if state.authenticated and card.decline_after_auth else None
    decline = decline or card.decline
    manual = pi["capture_method"] == "manual"
    ch = objects.charge(
        pi, pm, captured=not manual, succeeded=decline is None, three_ds=state.authenticated
    )
    state.charges.append(ch["id"])
    pi["latest_charge"] = ch["id"]
    if decline is not None:
        ch["failure_code"] = decline.code
        ch["failure_message"] = decline.message
        outcome = ch["outcome"]
        outcome.update(
            network_status="declined_by_network",
            reason=decline.decline_code,
            seller_message="The bank did not return any further details with this decline.",
            type="issuer_declined",
        )
        if decline.decline_code == "fraudulent":
            outcome.update(
                network_status="not_sent_to_network", type="blocked", reason="highest_risk_level"
            )
        em.store.add(ch)
        em.emit(ctx, "charge.failed", ch)
        return _fail(em, ctx, pi, pm, decline, ch["id"])
    em.store.add(ch)
    pi["last_payment_error"] = None
    pi["next_action"] = None
    em.emit(ctx, "charge.succeeded", ch)
    if manual:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        em.emit(ctx, "payment_intent.amount_capturable_updated", pi)
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        em.emit(ctx, "payment_intent.succeeded", pi)
    return None


def run(em: Emulator, ctx: RequestContext, pi: Obj, pm: Obj) -> None:
    """Confirm ``pi`` with ``pm``; raises the card error Stripe would return (402)."""
    state = em.intent_state(pi["id"])
    state.authenticated = False
    pi["payment_method"] = pm["id"]
    card = em.cards.get(pm["id"]) or cards.CARDS["4242424242424242"]
    if needs_authentication(em, card, pm, state):
        if state.off_session:
            raise _fail(em, ctx, pi, pm, cards.AUTH_REQUIRED, None)
        pi["status"] = "requires_action"
        pi["next_action"] = next_action(pi, state)
        em.emit(ctx, "payment_intent.requires_action", pi)
        return
    error = _charge(em, ctx, pi, pm, card, state)
    if error is not None:
        raise error


def authenticate(em: Emulator, ctx: RequestContext, pi: Obj, succeed: bool) -> None:
    """Complete (or fail) the customer's 3-D Secure challenge for ``pi``."""
    if pi["status"] != "requires_action":
        raise unexpected_state(pi, "authenticate", ("requires_action",))
    pm = em.store.require("payment_method", pi["payment_method"], "payment_method")
    state = em.intent_state(pi["id"])
    if not succeed:
        failure = Decline("payment_intent_authentication_failure", None, AUTH_FAILURE)
        _fail(em, ctx, pi, pm, failure, None, type_="invalid_request_error")
        return
    state.authenticated = True
    card = em.cards.get(pm["id"]) or cards.CARDS["4242424242424242"]
    _charge(em, ctx, pi, pm, card, state)

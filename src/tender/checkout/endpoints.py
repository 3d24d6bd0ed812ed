"""HTTP: POST /v1/checkout-sessions (an app, the user's token) and the page /checkout/{token}.

The page's own JSON endpoints live under /checkout/{token}/...: the token in the path is the
credential, so the page holds no bearer token and no secret.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from tender.auth.dependencies import CurrentUser
from tender.checkout import flows, pages, service
from tender.checkout.repository import SessionRow
from tender.checkout.schemas import (
    CARD,
    CONFIRM,
    CREATE_SESSION,
    OFFLINE,
    PAYMENT,
    SESSION,
    CheckoutSessionOut,
    CheckoutView,
    ChooseOffline,
    ConfirmCard,
    CreateCheckoutSession,
)
from tender.controls.switches import MAINTENANCE
from tender.errors import NotFound, TenderError
from tender.kit.guards import refuse_card_numbers
from tender.payments.schemas import ConfirmedPayment, OfflinePaymentOut, PaymentOut
from tender.payments.views import PROCESSING_RETRY_AFTER
from tender.runtime import Runtime, get_runtime

router = APIRouter(tags=["checkout"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Token = Annotated[str, Path(pattern=service.TOKEN_PATTERN)]


async def open_session(token: Token, runtime: RuntimeDep) -> SessionRow:
    return await service.find_session(runtime, token)


async def any_session(token: Token, runtime: RuntimeDep) -> SessionRow:
    return await service.find_session(runtime, token, reading=True)


SessionDep = Annotated[SessionRow, Depends(open_session)]
ReadableSession = Annotated[SessionRow, Depends(any_session)]  # used links may still read


@router.post(
    "/v1/checkout-sessions",
    status_code=201,
    response_model=CheckoutSessionOut,
    responses=CREATE_SESSION,
)
async def create_checkout_session(
    body: CreateCheckoutSession, user: CurrentUser, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """A short-lived, single-use link to the hosted checkout page for one of your orders."""
    return await service.create_session(runtime, user, body.order_id, str(request.base_url))


@router.get("/checkout/assets/{name}", include_in_schema=False)
async def checkout_asset(name: str) -> Response:
    if name not in pages.ASSETS:
        raise NotFound("No such asset.")
    return pages.asset_response(name)


@router.get("/checkout/{token}", include_in_schema=False)
async def checkout_page(token: str, runtime: RuntimeDep) -> HTMLResponse:
    """The page; a link that cannot be used gets a page saying why (404/410), never a form."""
    settings = runtime.settings
    try:
        if not service.valid_token(token):
            raise NotFound("No such checkout link.", code="checkout_session_not_found")
        await service.find_session(runtime, token)
    except TenderError as error:
        title = {
            "checkout_session_used": "Link already used",
            "checkout_session_expired": "Link expired",
        }.get(error.code, "Link not found")
        return pages.message_page(settings, error.status_code, title, error.message)
    if (await runtime.switches.values()).get(MAINTENANCE):
        return pages.message_page(
            settings,
            503,
            "Down for maintenance",
            "Payments are paused for maintenance. Your order is kept; please try again "
            "shortly with the same link.",
        )
    return pages.checkout_page(settings)


@router.get("/checkout/{token}/session", response_model=CheckoutView, responses=SESSION)
async def checkout_state(session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The order, the methods enabled now and any payment in progress."""
    return await flows.session_view(runtime, session)


@router.post(
    "/checkout/{token}/card",
    dependencies=[Depends(refuse_card_numbers)],
    response_model=PaymentOut,
    responses=CARD,
)
async def checkout_card(session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Create or resume the order's card payment: the client_secret for Stripe.js."""
    return await flows.start_card(runtime, session)


@router.post(
    "/checkout/{token}/confirm",
    dependencies=[Depends(refuse_card_numbers)],
    response_model=ConfirmedPayment,
    responses=CONFIRM,
)
async def checkout_confirm(
    body: ConfirmCard, session: SessionDep, runtime: RuntimeDep, response: Response
) -> dict[str, Any]:
    """Confirm with a PaymentMethod id, or re-check after 3-D Secure (no body fields):
    200 `succeeded` / `requires_action`, 402 a decline, 202 `processing` (poll /payment)."""
    result = await flows.confirm_card(runtime, session, body.payment_method)
    if result["status"] == "processing":
        response.status_code = 202
        response.headers["Retry-After"] = PROCESSING_RETRY_AFTER
    return result


@router.get("/checkout/{token}/payment", response_model=PaymentOut, responses=PAYMENT)
async def checkout_payment(session: ReadableSession, runtime: RuntimeDep) -> dict[str, Any]:
    """The card payment's state now (polled while it is processing; also after the link was
    used or has just expired, so a page that missed an answer can still learn the outcome)."""
    return await flows.payment_state(runtime, session)


@router.post(
    "/checkout/{token}/offline",
    status_code=201,
    response_model=OfflinePaymentOut,
    responses=OFFLINE,
)
async def checkout_offline(
    body: ChooseOffline, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Pay by cash on pickup or bank transfer: instructions and the reference."""
    return await flows.choose_offline(runtime, session, body.method)

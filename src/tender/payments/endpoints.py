"""HTTP: the seed's functions (create-payment-intent, confirm-payment) and /v1/payments."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from tender import idempotency, openapi
from tender.auth.dependencies import CurrentUser, ServiceCaller
from tender.errors import ValidationFailed
from tender.kit.guards import IdempotencyKey, refuse_card_numbers
from tender.payments import offline, service
from tender.payments.schemas import (
    CONFIRM_RESPONSES,
    CREATE_RESPONSES,
    OFFLINE_RESPONSES,
    ConfirmedPayment,
    ConfirmPayment,
    CreatePaymentIntent,
    ExpiredOut,
    OfflinePayment,
    OfflinePaymentOut,
    PaymentList,
    PaymentOut,
)
from tender.runtime import Runtime, get_runtime

router = APIRouter(dependencies=[Depends(refuse_card_numbers)], tags=["payments"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
STATUSES = (
    "pending|requires_payment_method|requires_confirmation|requires_action|processing|"
    "requires_capture|succeeded|canceled|expired|refunded|partially_refunded"
)


@router.post(
    "/functions/v1/create-payment-intent",
    status_code=201,
    response_model=PaymentOut,
    responses=CREATE_RESPONSES,
)
async def create_payment_intent(
    body: CreatePaymentIntent,
    user: CurrentUser,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Create (or resume) a card payment and its PaymentIntent; returns the client_secret."""
    answer = await service.create_card_payment(
        runtime,
        user,
        amount=body.amount,
        currency=body.currency,
        order_id=body.order_id,
        key=idempotency.check_key(key),
        payload=body.model_dump(mode="json"),
    )
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


@router.post(
    "/functions/v1/confirm-payment", response_model=ConfirmedPayment, responses=CONFIRM_RESPONSES
)
async def confirm_payment(
    body: ConfirmPayment, user: CurrentUser, runtime: RuntimeDep
) -> JSONResponse:
    """Confirm a card payment: 200 `succeeded` / `requires_action` (with what 3-D Secure
    needs), 402 a decline, or 202 `processing` with Retry-After when Stripe's answer is not
    known yet (poll `GET /v1/payments/{id}`)."""
    if body.payment_id is None and body.payment_intent_id is None:
        raise ValidationFailed("Give payment_id or payment_intent_id.", code="missing_payment")
    answer = await service.confirm_payment(
        runtime,
        user,
        payment_id=body.payment_id,
        intent_id=body.payment_intent_id,
        payment_method=body.payment_method or body.payment_method_id,
        saved_method_id=body.saved_method_id,
        return_url=body.return_url,
    )
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


@router.get(
    "/v1/payments",
    response_model=PaymentList,
    responses=openapi.errors(openapi.USER, openapi.INPUT, openapi.RATE_LIMITED),
)
async def list_payments(
    user: CurrentUser,
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern=f"^({STATUSES})$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # inside bigint; was a 500
) -> dict[str, Any]:
    """The caller's payments, newest first."""
    rows = await service.list_payments(runtime, user, status=status, limit=limit + 1, offset=offset)
    return {"data": rows[:limit], "limit": limit, "offset": offset, "has_more": len(rows) > limit}


@router.get(
    "/v1/payments/{payment_id}",
    response_model=PaymentOut,
    responses=openapi.errors(
        openapi.USER, openapi.INPUT, {404: ("payment_not_found",)}, openapi.RATE_LIMITED
    ),
)
async def get_payment(payment_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """One of the caller's payments."""
    return await service.get_payment(runtime, user, payment_id)


@router.post(
    "/v1/orders/{order_id}/offline-payment",
    status_code=201,
    response_model=OfflinePaymentOut,
    responses=OFFLINE_RESPONSES,
)
async def choose_offline(
    order_id: UUID,
    body: OfflinePayment,
    user: CurrentUser,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Pay an order by cash on pickup or bank transfer (reference and instructions)."""
    status, result = await offline.choose_offline(
        runtime, user, order_id, body.method, idempotency.check_key(key)
    )
    return JSONResponse(result, status_code=status)


@router.post(
    "/v1/payments/{payment_id}/mark-received",
    response_model=OfflinePaymentOut,
    responses=openapi.errors(
        openapi.SERVICE,
        openapi.INPUT,
        {400: ("not_offline",), 404: ("payment_not_found",), 409: ("payment_not_pending",)},
    ),
)
async def mark_received(
    payment_id: UUID, caller: ServiceCaller, runtime: RuntimeDep
) -> dict[str, Any]:
    """Service role: record that an offline payment was received."""
    return await offline.mark_received(runtime, caller, payment_id)


@router.post(
    "/v1/payments/expire-offline",
    response_model=ExpiredOut,
    responses=openapi.errors(openapi.SERVICE),
)
async def expire_offline(caller: ServiceCaller, runtime: RuntimeDep) -> dict[str, int]:
    """Service role: expire offline payments past their deadline now."""
    return {"expired": await offline.expire_offline_payments(runtime.db)}

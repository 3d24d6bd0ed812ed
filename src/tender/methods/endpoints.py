"""HTTP: /v1/payment-methods (list, save, detach, default) and /v1/client-config."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends

from tender import idempotency, openapi
from tender.auth.dependencies import CurrentUser
from tender.controls.switches import MAINTENANCE
from tender.kit.guards import IdempotencyKey, refuse_card_numbers
from tender.methods import service
from tender.methods.schemas import ClientConfig, MethodList, SaveCard, SavedMethod, SetupIntentOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(dependencies=[Depends(refuse_card_numbers)], tags=["payment methods"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
USER = (openapi.USER, openapi.RATE_LIMITED)
NOT_FOUND = {404: ("payment_method_not_found",)}


@router.get("/v1/client-config", response_model=ClientConfig)
async def client_config(runtime: RuntimeDep) -> dict[str, Any]:
    """What a client app needs: the publishable key, Stripe.js's address, the enabled methods."""
    key = runtime.settings.stripe_publishable_key
    values = await runtime.switches.values()
    return {
        "publishable_key": key.get_secret_value() if key else None,
        "enabled_methods": await service.enabled_methods(runtime),
        "maintenance": bool(values.get(MAINTENANCE, False)),
        "stripe_js_url": runtime.settings.stripe_js_url,
    }


@router.get("/v1/payment-methods", response_model=MethodList, responses=openapi.errors(*USER))
async def list_methods(user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """The caller's saved cards, default first."""
    return {"data": await service.list_methods(runtime, user), "has_more": False}


@router.post(
    "/v1/payment-methods/setup-intent",
    status_code=201,
    response_model=SetupIntentOut,
    responses=openapi.errors(
        *USER, {400: ("invalid_idempotency_key",), 503: ("provider_unavailable",)}
    ),
)
async def setup_intent(
    user: CurrentUser, runtime: RuntimeDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """A SetupIntent to confirm with Stripe.js; then POST /v1/payment-methods with its id."""
    checked = idempotency.check_key(key) or secrets.token_hex(16)
    return await service.create_setup_intent(runtime, user, checked)


@router.post(
    "/v1/payment-methods",
    status_code=201,
    response_model=SavedMethod,
    responses=openapi.errors(
        *USER,
        openapi.BODY,
        {400: ("missing_method",), 404: ("payment_method_not_found", "setup_intent_not_found")},
        {503: ("provider_unavailable",)},
    ),
)
async def save_card(body: SaveCard, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """Save a card by `payment_method_id` (a pm_... id) or a completed `setup_intent_id`."""
    return await service.save_card(
        runtime,
        user,
        payment_method_id=body.payment_method_id,
        setup_intent_id=body.setup_intent_id,
        make_default=body.make_default,
    )


@router.post(
    "/v1/payment-methods/{method_id}/default",
    response_model=SavedMethod,
    responses=openapi.errors(*USER, openapi.INPUT, NOT_FOUND),
)
async def set_default(method_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """Make this method the default."""
    return await service.set_default(runtime, user, method_id)


@router.delete(
    "/v1/payment-methods/{method_id}",
    response_model=SavedMethod,
    responses=openapi.errors(*USER, openapi.INPUT, NOT_FOUND),
)
async def detach(method_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """Detach a saved card (at Stripe too)."""
    return await service.detach(runtime, user, method_id)

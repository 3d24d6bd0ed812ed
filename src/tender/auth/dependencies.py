"""FastAPI dependencies: `CurrentUser` for a signed-in user, `ServiceCaller` for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tender.auth.principal import Principal
from tender.errors import AuthenticationFailed, Forbidden
from tender.runtime import Runtime, get_runtime


async def current_principal(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    if not authorization:
        raise AuthenticationFailed(
            "An Authorization: Bearer token is required.", code="token_missing"
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Use Authorization: Bearer <token>.", code="token_malformed")
    principal = await runtime.verifier.verify(token.strip())
    request.state.principal = principal
    return principal


async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.user_id is None:
        raise Forbidden("This endpoint acts for a signed-in user.", code="user_token_required")
    return principal


async def service_caller(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_service:
        raise Forbidden("This endpoint needs the service role.", code="service_role_required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[Principal, Depends(current_user)]
ServiceCaller = Annotated[Principal, Depends(service_caller)]

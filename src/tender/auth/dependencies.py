"""FastAPI dependencies: `CurrentUser` for a signed-in user, `ServiceCaller` for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tender.auth.principal import Principal
from tender.errors import AuthenticationFailed, Forbidden
from tender.runtime import Runtime, get_runtime

# Declares the bearer scheme in OpenAPI; the header itself is read below, so a missing or
# malformed one still gets Tender's own 401 codes (token_missing, token_malformed).
BEARER = HTTPBearer(auto_error=False, description="A Supabase user's JWT, or a service-role JWT.")


async def current_principal(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    authorization = request.headers.get("authorization")
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

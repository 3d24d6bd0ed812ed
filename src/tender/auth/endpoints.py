"""`GET /v1/me`: who the bearer token says you are (a cheap way to check a token)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from tender import openapi
from tender.auth.dependencies import CurrentPrincipal

router = APIRouter(prefix="/v1", tags=["auth"])


class Me(BaseModel):
    role: str
    user_id: str | None


@router.get("/me", response_model=Me, responses=openapi.errors(openapi.AUTH))
async def me(principal: CurrentPrincipal) -> Me:
    """Who the bearer token says you are."""
    return Me(role=principal.role, user_id=str(principal.user_id) if principal.user_id else None)

"""Who may open the console: a service-role token, or a one-time link from `tender console`.

Both end in a short console session (an HttpOnly, SameSite=Strict cookie signed like a
token). A link is single use: redeeming it writes `console.link_used` to the audit trail,
and a link already there is refused, on every instance.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import text

from tender.auth.dependencies import BEARER
from tender.config import Settings
from tender.controls import repository as ops_repository
from tender.db.rls import DbContext
from tender.errors import AuthenticationFailed, Forbidden
from tender.runtime import Runtime, get_runtime

LINK_AUDIENCE = "tender-console-link"
SESSION_AUDIENCE = "tender-console"
COOKIE = "tender_console"
SESSION_SECONDS = 8 * 3600
LINK_USED = "console.link_used"
EXPIRED = "This console link or session has expired. Run `tender console` for a new link."
INVALID = "This console link or session is not valid."
# Without SUPABASE_JWT_SECRET (JWKS-only set-ups) sessions are signed with a per-process key:
# they then hold on the instance that issued them only.
_PROCESS_KEY = secrets.token_urlsafe(32)


def _key(settings: Settings) -> str:
    secret = settings.supabase_jwt_secret
    return secret.get_secret_value() if secret else _PROCESS_KEY


def mint_link_token(settings: Settings, actor: str, minutes: int | None = None) -> str:
    """A one-time login token for the console (printed by `tender console`)."""
    now = int(time.time())
    ttl = 60 * (minutes or settings.console_link_minutes)
    claims = {"aud": LINK_AUDIENCE, "sub": actor, "iat": now, "exp": now + ttl}
    claims["jti"] = str(uuid.uuid4())
    return jwt.encode(claims, _key(settings), algorithm="HS256")


def _decode(settings: Settings, token: str, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, _key(settings), algorithms=["HS256"], audience=audience
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed(EXPIRED, code="console_expired") from None
    except jwt.PyJWTError:
        raise AuthenticationFailed(INVALID, code="console_invalid") from None
    return claims


async def redeem_link(runtime: Runtime, token: str) -> str:
    """The operator a one-time link names; a link seen before is refused."""
    claims = _decode(runtime.settings, token, LINK_AUDIENCE)
    link_id, actor = str(claims.get("jti")), f"console:{claims.get('sub')}"
    async with runtime.db.transaction(DbContext.service(actor)) as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:j))"), {"j": link_id})
        seen = await conn.execute(
            text("SELECT 1 FROM audit_log WHERE action = :a AND subject = :s"),
            {"a": LINK_USED, "s": f"console-link:{link_id}"},
        )
        if seen.first() is not None:
            raise AuthenticationFailed("This console link was already used.", code="console_used")
        await ops_repository.insert_audit(
            conn,
            actor=actor,
            action=LINK_USED,
            subject=f"console-link:{link_id}",
            old_value=None,
            new_value={"expires": claims.get("exp")},
        )
    return actor


def session_cookie(settings: Settings, actor: str) -> str:
    now = int(time.time())
    claims = {"aud": SESSION_AUDIENCE, "sub": actor, "iat": now, "exp": now + SESSION_SECONDS}
    return jwt.encode(claims, _key(settings), algorithm="HS256")


async def console_operator(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> str:
    """The operator behind this request: a service-role bearer token or a console session.
    (`BEARER` only declares the scheme in OpenAPI; the header is read here, so a malformed
    one gets Tender's own 401 code.)"""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Use Authorization: Bearer <token>.", code="token_malformed")
        principal = await runtime.verifier.verify(token.strip())
        if not principal.is_service:
            raise Forbidden("The console needs the service role.", code="service_role_required")
        return principal.actor
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise AuthenticationFailed("Sign in to the console first.", code="console_signed_out")
    return str(_decode(runtime.settings, cookie, SESSION_AUDIENCE)["sub"])


Operator = Annotated[str, Depends(console_operator)]

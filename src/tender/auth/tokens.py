"""Verify bearer tokens the way Supabase issues them; mint development tokens."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import jwt

from tender.auth.jwks import JwksCache
from tender.auth.principal import Principal
from tender.errors import AuthenticationFailed

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"})
ROLES = frozenset({"authenticated", "service_role"})
LEEWAY_SECONDS = 30
MAX_EXP = 2**53  # unix seconds; beyond this a JSON number is not an exact time (and float fails)
MAX_CLAIMS_DEPTH = 16
CACHE_ENTRIES = 10_000  # verified tokens kept (oldest dropped first)
CACHE_SECONDS = 300.0  # a verified token is re-checked at least this often


class TokenVerifier:
    """Checks signature, `exp`, `aud`, `sub` and `role`; every failure is a 401 with a code."""

    def __init__(self, *, secret: str | None, jwks: JwksCache | None, audience: str) -> None:
        self._secret = secret
        self._jwks = jwks
        self._audience = audience
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        """The token's Principal; a token already verified is answered from a bounded cache
        (keyed by the whole token, signature included) until it expires or CACHE_SECONDS."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and now < cached[1]:
            return cached[0]
        principal = await self._verify(token)
        if len(self._verified) >= CACHE_ENTRIES:
            self._verified.pop(next(iter(self._verified)))
        expires = float(principal.claims.get("exp", 0))
        self._verified[token] = (principal, min(expires, now + CACHE_SECONDS))
        return principal

    async def _verify(self, token: str) -> Principal:
        """Every field is type-checked before use: a token is attacker input, and a header or
        claim of an unexpected JSON type is a 401 like any other bad token, never a 500."""
        try:
            return await self._checked(token)
        except AuthenticationFailed:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            # The checks below should leave nothing for this; it keeps "never a 500" true.
            raise AuthenticationFailed(
                "The bearer token is malformed.", code="token_malformed"
            ) from exc

    async def _checked(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(
                "The bearer token is malformed.", code="token_malformed"
            ) from exc
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise AuthenticationFailed(
                "The token's algorithm is not accepted.", code="token_algorithm"
            )
        key: Any
        if alg == "HS256" and self._secret:
            key = self._secret
        elif alg in ASYMMETRIC and self._jwks is not None:
            jwk = await self._jwks.key(header.get("kid"))
            if jwk.algorithm_name != alg:
                raise AuthenticationFailed(
                    "The token's algorithm does not match its key.", code="token_algorithm"
                )
            key = jwk.key
        else:
            raise AuthenticationFailed(
                "The token's algorithm is not accepted.", code="token_algorithm"
            )
        claims = self._decode(token, key, alg)
        _check_claims(claims)
        return self._principal(claims)

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                options={"require": ["exp"], "verify_aud": False},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed(
                "The bearer token has expired.", code="token_expired"
            ) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationFailed(
                "The token's signature is not valid.", code="token_invalid"
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(
                "The bearer token is not valid.", code="token_invalid"
            ) from exc
        return claims

    def _principal(self, claims: dict[str, Any]) -> Principal:
        role = claims.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise AuthenticationFailed(
                "A signed-in user's token is required.", code="token_role_not_allowed"
            )
        if role == "service_role":
            return Principal("service_role", None, claims)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in audiences:
            raise AuthenticationFailed(
                "The token is not meant for this service.", code="token_audience"
            )
        subject = claims.get("sub")
        try:
            if not isinstance(subject, str):
                raise ValueError("sub is not a string")
            user_id = UUID(subject)
        except ValueError as exc:
            raise AuthenticationFailed(
                "The token's subject is not a user id.", code="token_subject"
            ) from exc
        return Principal("authenticated", user_id, claims)


def _invalid(what: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"The token's {what} is not valid.", code="token_invalid")


def _check_claims(claims: dict[str, Any]) -> None:
    """`exp` a whole number of seconds in range; `aud` a string or list of strings; and no
    text PostgreSQL refuses (NUL, lone surrogates) anywhere, since the claims go to
    `request.jwt.claims`, which Supabase's SQL helpers cast to jsonb."""
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool) or not 0 < exp < MAX_EXP:
        raise _invalid("expiry (exp)")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not all(a is None or isinstance(a, str) for a in audiences):
        raise _invalid("audience (aud)")
    stack: list[tuple[Any, int]] = [(claims, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_CLAIMS_DEPTH:
                raise _invalid("claims nesting")
            for key, value in node.items() if isinstance(node, dict) else enumerate(node):
                stack.append((key, depth))
                stack.append((value, depth + 1))
        elif isinstance(node, str) and ("\x00" in node or not _utf8(node)):
            raise _invalid("claim text")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def mint_token(
    secret: str,
    *,
    user_id: UUID | None,
    role: str = "authenticated",
    audience: str = "authenticated",
    ttl_seconds: int = 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 token shaped like Supabase's (development and tests only)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "tender-dev",
        "aud": audience,
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
        **(extra or {}),
    }
    if user_id is not None:
        claims["sub"] = str(user_id)
    return jwt.encode(claims, secret, algorithm="HS256")

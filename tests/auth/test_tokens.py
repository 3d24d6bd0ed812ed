"""Every way a bearer token can be wrong answers 401 with a stable code, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tender.auth.jwks import JwksCache
from tender.auth.tokens import TokenVerifier, mint_token
from tender.errors import AuthenticationFailed
from tests.conftest import JWT_SECRET, bearer


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get("/v1/me", headers=headers)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_valid_user_token_identifies_the_user(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    response = await _me(client, bearer(user_id))
    assert response.status_code == 200
    assert response.json() == {"role": "authenticated", "user_id": str(user_id)}


async def test_service_role_token_is_accepted_without_a_subject(client: httpx.AsyncClient) -> None:
    response = await _me(client, bearer(None, role="service_role"))
    assert response.json() == {"role": "service_role", "user_id": None}


def _forged(user: UUID, **changes: object) -> str:
    claims: dict[str, object] = {
        "sub": str(user),
        "role": "authenticated",
        "aud": "authenticated",
        "exp": int(time.time()) + 600,
    }
    claims.update(changes)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_missing"),
        ({"Authorization": ""}, "token_missing"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_malformed"),
        ({"Authorization": "Bearer"}, "token_malformed"),
        ({"Authorization": "Bearer not-a-jwt"}, "token_malformed"),
        ({"Authorization": "Bearer a.b.c"}, "token_malformed"),
    ],
)
async def test_missing_or_malformed_tokens(
    client: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    response = await _me(client, headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_token(client: httpx.AsyncClient, user_id: UUID) -> None:
    token = _forged(user_id, exp=int(time.time()) - 120)
    response = await _me(client, {"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_expired")


async def test_token_without_expiry_is_refused(client: httpx.AsyncClient, user_id: UUID) -> None:
    token = jwt.encode(
        {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"},
        JWT_SECRET,
        algorithm="HS256",
    )
    response = await _me(client, {"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_invalid")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"aud": "someone-else"}, "token_audience"),
        ({"aud": None}, "token_audience"),
        ({"sub": "not-a-uuid"}, "token_subject"),
        ({"role": "anon"}, "token_role_not_allowed"),
        ({"role": "postgres"}, "token_role_not_allowed"),
    ],
)
async def test_claims_are_checked(
    client: httpx.AsyncClient, user_id: UUID, changes: dict[str, object], code: str
) -> None:
    response = await _me(client, {"Authorization": f"Bearer {_forged(user_id, **changes)}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, code)


async def test_wrong_secret(client: httpx.AsyncClient, user_id: UUID) -> None:
    token = mint_token("another-secret-entirely-" + "y" * 20, user_id=user_id)
    response = await _me(client, {"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_invalid")


async def test_alg_none_is_refused(client: httpx.AsyncClient, user_id: UUID) -> None:
    claims = {
        "sub": str(user_id),
        "role": "service_role",
        "aud": "authenticated",
        "exp": int(time.time()) + 600,
    }
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = await _me(client, {"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_algorithm")


async def test_asymmetric_token_is_refused_when_no_jwks_is_configured(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        {
            "sub": str(user_id),
            "role": "authenticated",
            "aud": "authenticated",
            "exp": int(time.time()) + 600,
        },
        private,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    response = await _me(client, {"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_algorithm")


# --- JWKS (asymmetric keys served like Supabase Auth's well-known endpoint) ---------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks_client(key: rsa.RSAPrivateKey, kid: str, hits: list[str]) -> httpx.AsyncClient:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})

    def handler(request: httpx.Request) -> httpx.Response:
        hits.append(str(request.url))
        return httpx.Response(200, json={"keys": [public]})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def _rs256(key: rsa.RSAPrivateKey, user: UUID, kid: str) -> str:
    return jwt.encode(
        {
            "sub": str(user),
            "role": "authenticated",
            "aud": "authenticated",
            "exp": int(time.time()) + 600,
        },
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )


async def test_jwks_token_verifies_and_keys_are_cached(rsa_key: rsa.RSAPrivateKey) -> None:
    hits: list[str] = []
    async with _jwks_client(rsa_key, "key-1", hits) as http:
        verifier = TokenVerifier(
            secret=None,
            audience="authenticated",
            jwks=JwksCache(
                "https://x.supabase.co/auth/v1/.well-known/jwks.json", ttl_seconds=600, client=http
            ),
        )
        user = uuid4()
        for _ in range(3):
            principal = await verifier.verify(_rs256(rsa_key, user, "key-1"))
            assert principal.user_id == user
    assert hits == ["https://x.supabase.co/auth/v1/.well-known/jwks.json"]


async def test_jwks_unknown_kid_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    hits: list[str] = []
    async with _jwks_client(rsa_key, "key-1", hits) as http:
        verifier = TokenVerifier(
            secret=None,
            audience="authenticated",
            jwks=JwksCache("https://x/jwks", ttl_seconds=600, client=http),
        )
        with pytest.raises(AuthenticationFailed) as caught:
            await verifier.verify(_rs256(rsa_key, uuid4(), "key-2"))
    assert caught.value.code == "token_unknown_key"


async def test_jwks_algorithm_confusion_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    """An HS256 token 'signed' with the public key must not pass as the RSA key's token."""
    hits: list[str] = []
    from cryptography.hazmat.primitives import serialization

    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": "key-1"})
    body = _b64({"sub": str(uuid4()), "role": "service_role", "exp": int(time.time()) + 600})
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    async with _jwks_client(rsa_key, "key-1", hits) as http:
        verifier = TokenVerifier(
            secret=None,
            audience="authenticated",
            jwks=JwksCache("https://x/jwks", ttl_seconds=600, client=http),
        )
        with pytest.raises(AuthenticationFailed) as caught:
            await verifier.verify(forged)
    assert caught.value.code == "token_algorithm"


# --- the verified-token cache -------------------------------------------------------------


async def test_cached_token_does_not_vouch_for_a_tampered_copy(user_id: UUID) -> None:
    verifier = TokenVerifier(secret=JWT_SECRET, jwks=None, audience="authenticated")
    token = mint_token(JWT_SECRET, user_id=user_id)
    assert (await verifier.verify(token)).user_id == user_id
    assert (await verifier.verify(token)).user_id == user_id  # from the cache
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    with pytest.raises(AuthenticationFailed) as caught:
        await verifier.verify(forged)
    assert caught.value.code == "token_invalid"


async def test_cache_is_bounded_and_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    from tender.auth import tokens

    monkeypatch.setattr(tokens, "CACHE_ENTRIES", 3)
    verifier = TokenVerifier(secret=JWT_SECRET, jwks=None, audience="authenticated")
    users = [uuid4() for _ in range(5)]
    minted = [mint_token(JWT_SECRET, user_id=u, ttl_seconds=60) for u in users]
    for token in minted:
        await verifier.verify(token)
    assert len(verifier._verified) == 3
    assert set(verifier._verified) == set(minted[-3:])
    _, until = verifier._verified[minted[-1]]
    assert until <= time.time() + 60  # never trusted past the token's own exp

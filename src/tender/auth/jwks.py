"""A cached JSON Web Key Set, fetched from Supabase Auth's well-known endpoint."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt

from tender.errors import AuthenticationFailed

REFRESH_FLOOR_SECONDS = 30.0  # an unknown kid refetches at most this often


class JwksCache:
    def __init__(self, url: str, *, ttl_seconds: float, client: httpx.AsyncClient) -> None:
        self.url = url
        self.ttl = ttl_seconds
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if kid is None:
            raise AuthenticationFailed("The token names no signing key.", code="token_invalid")
        now = time.monotonic()
        stale = now - self._fetched_at > self.ttl
        unknown = kid not in self._keys and now - self._fetched_at > REFRESH_FLOOR_SECONDS
        if stale or unknown:
            await self._refresh()
        found = self._keys.get(kid)
        if found is None:
            raise AuthenticationFailed(
                "The token's signing key is unknown.", code="token_unknown_key"
            )
        return found

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                response = await self._client.get(self.url, timeout=5.0)
                response.raise_for_status()
                keyset = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
                if not self._keys:
                    raise AuthenticationFailed(
                        "Signing keys are unavailable right now.", code="token_keys_unavailable"
                    ) from exc
                return  # keep serving the keys we have
            self._keys = {k.key_id: k for k in keyset.keys if k.key_id}
            self._fetched_at = time.monotonic()

"""The seed's security headers on every response: routes, errors, 404s, 413s and 500s."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from tender.security.headers import SECURITY_HEADERS
from tests.conftest import bearer
from tests.security.conftest import AppClient


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)


def _concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


async def test_every_route_serves_the_headers(app_client: AppClient) -> None:
    async with app_client() as (app, client):
        paths: dict[str, dict[str, object]] = app.openapi()["paths"]
        calls = [(m.upper(), p) for p, ops in paths.items() for m in ops]
        calls += [("GET", "/docs"), ("GET", "/openapi.json")]
        assert len(calls) > 4
        for method, path in calls:
            response = await client.request(
                method, _concrete(path), headers=bearer(None, role="service_role")
            )
            assert response.status_code < 500, (method, path, response.text)
            if path == "/docs":
                assert "cdn.jsdelivr.net" in response.headers["content-security-policy"]
            else:
                assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-route", 404),
        ("DELETE", "/livez", 405),
        ("GET", "/v1/ops/switches", 401),
    ],
)
async def test_error_responses_carry_the_headers(
    app_client: AppClient, method: str, path: str, status: int
) -> None:
    async with app_client() as (_, client):
        response = await client.request(method, path)
    assert response.status_code == status
    assert "error" in response.json()
    assert_security_headers(response)


async def test_unexpected_500_carries_the_headers(app_client: AppClient) -> None:
    def boom_route(app: FastAPI) -> None:
        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("kaboom")

    async with app_client(setup=boom_route) as (_, client):
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert_security_headers(response)


async def test_handler_set_header_is_not_duplicated(app_client: AppClient) -> None:
    def framed(app: FastAPI) -> None:
        @app.get("/framed")
        async def handler() -> PlainTextResponse:
            return PlainTextResponse("x", headers={"X-Frame-Options": "SAMEORIGIN"})

    async with app_client(setup=framed) as (_, client):
        response = await client.get("/framed")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]

"""HTTPS only in production (X-Forwarded-Proto from trusted proxies only), body limit, CORS."""

from __future__ import annotations

from tests.security.conftest import AppClient
from tests.security.test_headers import assert_security_headers

PROXY = ("10.0.0.5", 40000)


async def test_production_redirects_plain_http_gets(app_client: AppClient) -> None:
    async with app_client(https_only=True) as (_, client):
        response = await client.get("/v1/ops/switches?x=1")
    assert response.status_code == 308
    assert response.headers["location"] == "https://tender.test/v1/ops/switches?x=1"
    assert response.json()["error"]["code"] == "https_required"
    assert_security_headers(response)


async def test_production_refuses_plain_http_posts(app_client: AppClient) -> None:
    async with app_client(https_only=True) as (_, client):
        response = await client.post("/functions/v1/create-payment-intent", json={})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "https_required"
    assert_security_headers(response)


async def test_https_is_served(app_client: AppClient) -> None:
    async with app_client(https_only=True, base_url="https://tender.test") as (_, client):
        response = await client.get("/livez")
        missing = await client.get("/nothing-here")
    assert response.status_code == 200
    assert missing.status_code == 404


async def test_probes_answer_plain_http_inside_the_cluster(app_client: AppClient) -> None:
    async with app_client(https_only=True) as (_, client):
        assert (await client.get("/livez")).status_code == 200


async def test_forwarded_proto_honoured_from_trusted_proxy_only(app_client: AppClient) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    async with app_client(https_only=True, trusted_proxies=["10.0.0.0/8"], client_addr=PROXY) as (
        _,
        client,
    ):
        assert (await client.get("/nothing", headers=headers)).status_code == 404
        assert (await client.get("/nothing")).status_code == 308
    async with app_client(https_only=True, trusted_proxies=["10.0.0.0/8"]) as (_, client):
        # An outside client claiming https is still on plain HTTP.
        assert (await client.get("/nothing", headers=headers)).status_code == 308


async def test_development_serves_plain_http(app_client: AppClient) -> None:
    async with app_client() as (_, client):
        assert (await client.get("/livez")).status_code == 200


async def test_declared_body_over_limit_is_413(app_client: AppClient) -> None:
    async with app_client(max_body_bytes=1000) as (_, client):
        response = await client.post("/v1/ops/switches/x", content=b"x" * 1001)
    assert response.status_code == 413
    body = response.json()["error"]
    assert body["code"] == "request_too_large"
    assert body["max_bytes"] == 1000
    assert_security_headers(response)


async def test_streamed_body_over_limit_is_413(app_client: AppClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"y" * 400

    async with app_client(max_body_bytes=1000) as (_, client):
        response = await client.put(
            "/v1/ops/switches/payment_maintenance",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert_security_headers(response)


async def test_body_under_limit_passes(app_client: AppClient) -> None:
    async with app_client(max_body_bytes=1000) as (_, client):
        response = await client.put("/v1/ops/switches/payment_maintenance", json={"enabled": 1})
    assert response.status_code == 401  # reached the endpoint (no token)


async def test_cors_allows_configured_origins_only(app_client: AppClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    async with app_client(cors_allowed_origins=["https://shop.example"]) as (_, client):
        ok = await client.options(
            "/functions/v1/create-payment-intent",
            headers={"Origin": "https://shop.example", **preflight},
        )
        bad = await client.options(
            "/functions/v1/create-payment-intent",
            headers={"Origin": "https://evil.example", **preflight},
        )
        simple = await client.get("/livez", headers={"Origin": "https://evil.example"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in bad.headers
    assert "access-control-allow-origin" not in simple.headers
    assert_security_headers(bad)


async def test_no_cors_without_configured_origins(app_client: AppClient) -> None:
    async with app_client() as (_, client):
        response = await client.get("/livez", headers={"Origin": "https://shop.example"})
    assert "access-control-allow-origin" not in response.headers


def test_comma_separated_settings_from_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tender.config import Settings

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    monkeypatch.setenv("DISABLED_PAYMENT_METHODS", "bank_transfer")
    settings = Settings()
    assert settings.cors_allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.trusted_proxies == ["10.0.0.0/8"]
    assert settings.disabled_payment_methods == ["bank_transfer"]

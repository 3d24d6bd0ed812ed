"""The console over HTTP: who gets in, what the page may load, reasons for switches, and the
vendored chart library matching the checksum its README records."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from uuid import uuid4

import httpx

from tender.config import Settings
from tender.console.auth import mint_link_token
from tests.conftest import bearer

OPERATOR = bearer(None, role="service_role")
VENDOR = Path(__file__).resolve().parents[2] / "src/tender/console/static/vendor"


def test_vendored_chart_js_matches_its_recorded_checksum() -> None:
    readme = (VENDOR / "README.md").read_text()
    recorded = re.search(r"`chart\.umd\.min\.js`.*\| `([0-9a-f]{64})` \|", readme)
    assert recorded is not None
    actual = hashlib.sha256((VENDOR / "chart.umd.min.js").read_bytes()).hexdigest()
    assert actual == recorded.group(1)


async def test_page_loads_only_its_own_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/console")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "connect-src 'self';" in csp
    assert "unsafe" not in csp
    for src in re.findall(r'src="([^"]+)"', page.text):
        assert src.startswith("/console/assets/")
        assert (await client.get(src)).status_code == 200
    assert (await client.get("/console/assets/../../config.py")).status_code == 404


async def test_overview_needs_the_service_role(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/api/overview")).status_code == 401
    user = await client.get("/console/api/overview", headers=bearer(uuid4()))
    assert user.status_code == 403
    forged = await client.get("/console/api/overview", headers={"Cookie": "tender_console=x.y.z"})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "console_invalid"
    ok = await client.get("/console/api/overview", headers=OPERATOR)
    assert ok.status_code == 200
    body = ok.json()
    assert [c["key"] for c in body["criteria"]] == [
        "uptime", "error_rate", "avg_response_ms", "success_rate"
    ]  # fmt: skip
    assert [c["target"] for c in body["criteria"]] == [0.995, 0.02, 3000.0, 0.95]
    assert set(body["health"]["checks"]) == {"database", "stripe", "cache", "webhooks"}


async def test_expired_link_and_a_link_signed_elsewhere_are_refused(
    client: httpx.AsyncClient, test_settings: Settings
) -> None:
    expired = mint_link_token(test_settings, "late", minutes=-1)
    resp = await client.get(f"/console/login?code={expired}", follow_redirects=False)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "console_expired"
    other = mint_link_token(Settings(supabase_jwt_secret="another-secret-" + "y" * 32), "x")
    resp = await client.get(f"/console/login?code={other}", follow_redirects=False)
    assert resp.json()["error"]["code"] == "console_invalid"


async def test_a_link_signs_in_with_a_strict_http_only_cookie(
    client: httpx.AsyncClient, test_settings: Settings
) -> None:
    link = mint_link_token(test_settings, "ops")
    resp = await client.get(f"/console/login?code={link}", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie
    board = await client.get("/console/api/overview")
    assert board.json()["operator"] == "console:ops"


async def test_switch_needs_a_reason_and_is_audited(client: httpx.AsyncClient) -> None:
    name = "method:bank_transfer"
    refused = await client.put(
        f"/console/api/switches/{name}", json={"enabled": False}, headers=OPERATOR
    )
    assert refused.status_code == 400
    try:
        done = await client.put(
            f"/console/api/switches/{name}",
            json={"enabled": False, "reason": "bank outage"},
            headers=OPERATOR,
        )
        assert done.status_code == 200
        assert done.json()["enabled"] is False
        config = await client.get("/v1/client-config")
        assert "bank_transfer" not in config.json()["enabled_methods"]
        states = (await client.get("/v1/ops/switches", headers=OPERATOR)).json()["data"]
        state = next(s for s in states if s["name"] == name)
        assert state["reason"] == "bank outage"
        assert state["updated_by"].startswith("service:")
    finally:
        await client.put(
            f"/console/api/switches/{name}",
            json={"enabled": True, "reason": "bank back"},
            headers=OPERATOR,
        )


async def test_token_sign_in_opens_a_session_and_sign_out_ends_it(
    client: httpx.AsyncClient,
) -> None:
    user = await client.post("/console/api/session", headers=bearer(uuid4()))
    assert (user.status_code, user.json()["error"]["code"]) == (403, "service_role_required")
    signed = await client.post("/console/api/session", headers=OPERATOR)
    assert signed.status_code == 200
    assert signed.json()["operator"].startswith("service:")
    assert signed.json()["expires_in"] == 8 * 3600
    assert "httponly" in signed.headers["set-cookie"].lower()
    board = await client.get("/console/api/overview")  # the cookie alone now
    assert board.status_code == 200
    assert board.json()["operator"] == signed.json()["operator"]
    out = await client.delete("/console/api/session")
    assert (out.status_code, out.json()) == (200, {"signed_in": False})
    gone = await client.get("/console/api/overview")
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "console_signed_out")

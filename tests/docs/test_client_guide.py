"""docs/CLIENT_GUIDE.md runs: every HTTP exchange in it is sent to a live Tender and the
offline Stripe test mode, and every answer must match what the guide shows.

Grammar of the guide's ```http blocks: a request block starts with `METHOD /path` (Tender)
or `METHOD $STRIPE/path` (the test mode), then headers, a blank line and a JSON body. The
next ```http block starting `HTTP/1.1 NNN` is its answer: the status, optional headers
(`...` for any value) and a JSON body that the real body must contain (objects: these keys;
lists: these first items; `"..."`: any value; `"{name}"`: remember the value, or compare it
with the value remembered). `$TOKEN`, `$SERVICE_TOKEN` and `{name}` are substituted in
requests. A GET whose answer does not match yet is polled for up to 10 s (webhooks).
Every answer from Tender must also validate against the schema /openapi.json documents for
that operation and status: the guide, the API and the contract cannot drift apart.
The test payment methods table is run too: one payment per row, its outcome as listed.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from openapi_schema_validator import OAS31Validator, validate

from tender.config import Settings
from tender.runtime import Runtime
from tests.conftest import bearer
from tests.e2e.conftest import control, hooked  # noqa: F401  (fixtures)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "CLIENT_GUIDE.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
REQUEST = re.compile(r"^(GET|POST|PUT|DELETE) (\S+)$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
POLL_SECONDS = 10.0


@dataclass
class Exchange:
    method: str
    target: str
    headers: dict[str, str]
    body: str
    status: int
    expect_headers: dict[str, str]
    expect: Any
    line: int


@dataclass
class Session:
    tender: httpx.AsyncClient
    stripe: httpx.AsyncClient
    env: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)

    def fill(self, text: str) -> str:
        for name, value in self.env.items():
            text = text.replace(f"${name}", value)
        return PLACEHOLDER.sub(lambda m: str(self.seen[m.group(1)]), text)


def _split(block: str) -> tuple[list[str], str]:
    head, _, body = block.partition("\n\n")
    return head.strip().splitlines(), body.strip()


def _headers(lines: list[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in lines)


def exchanges(markdown: str) -> list[Exchange]:
    """Every request block of the guide paired with the answer block after it."""
    found: list[Exchange] = []
    pending: tuple[list[str], str, int] | None = None
    for match in FENCE.finditer(markdown):
        if match.group(1) != "http":
            continue
        head, body = _split(match.group(2))
        line = markdown.count("\n", 0, match.start()) + 1
        if REQUEST.match(head[0]):
            assert pending is None, f"line {line}: a request without an answer before it"
            pending = (head, body, line)
            continue
        assert pending is not None, f"line {line}: an answer without a request"
        assert head[0].startswith("HTTP/1.1 "), f"line {line}: {head[0]!r}"
        request_head, request_body, request_line = pending
        method, target = REQUEST.match(request_head[0]).groups()  # type: ignore[union-attr]
        found.append(
            Exchange(
                method=method,
                target=target,
                headers=_headers(request_head[1:]),
                body=request_body,
                status=int(head[0].split()[1]),
                expect_headers=_headers(head[1:]),
                expect=json.loads(body) if body else None,
                line=request_line,
            )
        )
        pending = None
    assert pending is None, "the guide ends with a request without an answer"
    return found


def mismatch(expected: Any, actual: Any, seen: dict[str, Any], where: str = "") -> str | None:
    """Why `actual` does not show what `expected` shows (None when it does)."""
    if expected == "...":
        return None
    if isinstance(expected, str) and PLACEHOLDER.fullmatch(expected):
        name = expected[1:-1]
        if name not in seen:
            seen[name] = actual
            return None
        expected = seen[name]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing"
            problem = mismatch(value, actual[key], seen, f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(actual, list) and expected:
        if len(actual) < len(expected):
            return f"{where}: expected at least {len(expected)} items, got {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            problem = mismatch(e, a, seen, f"{where}[{i}]")
            if problem:
                return problem
        return None
    return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


async def send(session: Session, step: Exchange) -> None:
    target = session.fill(step.target)
    client = session.tender
    if target.startswith(session.env["STRIPE"]):
        client, target = session.stripe, target[len(session.env["STRIPE"]) :]
    headers = {k: session.fill(v) for k, v in step.headers.items()}
    content = session.fill(step.body).encode() if step.body else None
    deadline = asyncio.get_running_loop().time() + POLL_SECONDS
    while True:
        resp = await client.request(step.method, target, headers=headers, content=content)
        trial = dict(session.seen)
        problem = _compare(step, resp, trial)
        polling = step.method == "GET" and asyncio.get_running_loop().time() < deadline
        if problem is None or not polling:
            break
        await asyncio.sleep(0.1)
    assert problem is None, f"CLIENT_GUIDE.md line {step.line}: {problem}\n{resp.text}"
    session.seen.update(trial)
    if client is session.tender:
        conforms(session.spec, step.method, resp)


def conforms(spec: dict[str, Any], method: str, resp: httpx.Response) -> None:
    """The answer is what /openapi.json documents for this operation and status."""
    path = resp.request.url.path
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            responses = item[method.lower()]["responses"]
            break
    else:
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")
    assert str(resp.status_code) in responses, f"{method} {path}: {resp.status_code} undocumented"
    schema = responses[str(resp.status_code)]["content"]["application/json"]["schema"]
    validate(resp.json(), {**schema, "components": spec["components"]}, cls=OAS31Validator)


def _compare(step: Exchange, resp: httpx.Response, seen: dict[str, Any]) -> str | None:
    if resp.status_code != step.status:
        return f"status {resp.status_code}, the guide shows {step.status}"
    for name, value in step.expect_headers.items():
        if name not in resp.headers:
            return f"header {name} missing"
        if value != "..." and resp.headers[name] != value:
            return f"header {name}: {resp.headers[name]!r}, the guide shows {value!r}"
    if step.expect is None:
        return None
    return mismatch(step.expect, resp.json(), seen, "body")


@pytest.fixture
async def runtime(
    test_settings: Settings, database_urls: tuple[str, str]
) -> AsyncIterator[Runtime]:
    """Tender as `make run` configures it, without the card-testing guard's low limit
    (the table below makes more declines from one address than the guard allows)."""
    settings = test_settings.model_copy(update={"card_testing_max_declines": 10_000})
    rt = Runtime.build(settings, database_urls[1])
    yield rt
    await rt.close()


@pytest.fixture
async def session(hooked: str, stripe_emulator: str) -> AsyncIterator[Session]:  # noqa: F811
    env = {
        "TOKEN": bearer(uuid4())["Authorization"].removeprefix("Bearer "),
        "SERVICE_TOKEN": bearer(None, role="service_role")["Authorization"].split()[1],
        "STRIPE": "http://127.0.0.1:12111",  # what the guide writes; mapped to this run's port
    }
    async with (
        httpx.AsyncClient(base_url=hooked, timeout=15) as tender,
        httpx.AsyncClient(base_url=stripe_emulator, timeout=15) as stripe,
    ):
        spec = (await tender.get("/openapi.json")).json()
        yield Session(tender, stripe, env, spec=spec)
        await stripe.delete("/_test/faults")


def test_the_guide_is_linked_from_the_readme() -> None:
    readme = (GUIDE.parents[1] / "README.md").read_text()
    assert "docs/CLIENT_GUIDE.md" in readme


async def test_every_exchange_in_the_guide(session: Session) -> None:
    steps = exchanges(GUIDE.read_text())
    assert len(steps) >= 20
    for step in steps:
        await send(session, step)


ROW = re.compile(r"^\| `(pm_card_\w+)` \| [^|]+ \| `(\d{3})` `(\w+)` \|", re.M)


def table_rows() -> list[tuple[str, int, str]]:
    return [(pm, int(status), outcome) for pm, status, outcome in ROW.findall(GUIDE.read_text())]


async def test_the_test_payment_methods_table(session: Session) -> None:
    rows = table_rows()
    assert len(rows) >= 15
    for pm, status, outcome in rows:
        auth = {"Authorization": f"Bearer {session.env['TOKEN']}"}
        order = await session.tender.post(
            "/v1/orders", json={"amount": 2500, "currency": "usd"}, headers=auth
        )
        created = await session.tender.post(
            "/functions/v1/create-payment-intent", json={"order_id": order.json()["id"]},
            headers=auth,
        )  # fmt: skip
        confirm = await session.tender.post(
            "/functions/v1/confirm-payment",
            json={"payment_id": created.json()["payment_id"], "payment_method": pm},
            headers=auth,
        )
        body = confirm.json()
        got = body["error"]["code"] if "error" in body else body["status"]
        assert (confirm.status_code, got) == (status, outcome), pm

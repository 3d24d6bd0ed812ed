"""Minimal ASGI helpers: headers, bodies, JSON responses (kept off the Starlette hot path)."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from starlette.types import Receive, Scope, Send

JSON_CT = b"application/json"


def request_id() -> str:
    return "req_" + secrets.token_hex(7)


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def header_map(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def wait_disconnect(receive: Receive, seconds: float) -> bool:
    """Wait until the client goes away (True) or ``seconds`` pass (False)."""

    async def _loop() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(_loop(), seconds)
    except TimeoutError:
        return False
    return True


async def send_raw(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_CT),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

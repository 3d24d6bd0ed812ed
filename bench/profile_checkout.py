"""Profile checkouts inside one Tender process: where its CPU goes, function by function.

Starts the bench stack (fresh database, test mode), builds Tender's app in this process with
the same settings, and drives `--checkouts` checkouts one at a time (list methods, create,
confirm, read: what a bench user does) through the ASGI interface under pyinstrument. The
HTTP server's own parsing is not in the picture; webhooks go to the stack's Tender, not here.

    .venv/bin/pip install pyinstrument     # a tool, not a requirement
    .venv/bin/python -m bench.profile_checkout --checkouts 50 --top 10
    .venv/bin/python -m bench.profile_checkout --ref main   # the same for a baseline revision
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import jwt
import typer

from bench import report, revisions
from bench.overhead import register_webhook
from bench.stack import JWT_SECRET, ROOT, running_stack

app = typer.Typer(add_completion=False)


def _token() -> str:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated"}
    return jwt.encode({**claims, "iat": now, "exp": now + 3600}, JWT_SECRET, algorithm="HS256")


async def _checkouts(asgi: Any, count: int) -> None:
    auth = {"Authorization": f"Bearer {_token()}"}
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://tender") as client:
        for _ in range(count):
            await client.get("/v1/payment-methods", headers=auth)
            created = await client.post(
                "/functions/v1/create-payment-intent",
                headers=auth,
                json={"amount": 1200, "currency": "usd"},
            )
            created.raise_for_status()
            payment_id = created.json()["payment_id"]
            confirmed = await client.post(
                "/functions/v1/confirm-payment",
                headers=auth,
                json={"payment_id": payment_id, "payment_method": "pm_card_visa"},
            )
            if confirmed.status_code not in (200, 402):
                raise RuntimeError(f"confirm answered {confirmed.status_code}")
            (await client.get(f"/v1/payments/{payment_id}", headers=auth)).raise_for_status()


def top_self_time(root: Any, limit: int) -> list[tuple[str, float]]:
    """(function and place, seconds in its own code) summed over the tree, largest first.

    Works on pyinstrument's frames: a frame's own time is its time minus its children's; the
    synthetic `[self]` leaf counts for its parent, `[await]` (waiting on I/O) is one bucket.
    """
    totals: dict[str, float] = defaultdict(float)
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        frame, parent_key = stack.pop()
        if frame.identifier == "[self]":
            key = parent_key
        elif frame.identifier in ("[await]", "[out-of-context]"):
            key = f"{frame.identifier} waiting, not running"
        else:
            key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        totals[key] += frame.time - sum(child.time for child in frame.children)
        stack.extend((child, key) for child in frame.children)
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:limit]


def top_inclusive(root: Any, limit: int, under: str = "tender/") -> list[tuple[str, float]]:
    """(function and place, seconds with its callees) for functions whose file is under
    `under`, each counted once per call stack (recursion does not double it), largest first."""
    totals: dict[str, float] = defaultdict(float)
    stack: list[tuple[Any, frozenset[str]]] = [(root, frozenset())]
    while stack:
        frame, above = stack.pop()
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        if (frame.file_path_short or "").startswith(under) and key not in above:
            totals[key] += frame.time
            above = above | {key}
        stack.extend((child, above) for child in frame.children)
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:limit]


@app.command()
def main(
    checkouts: int = typer.Option(50, help="Checkouts to profile (after 20 to warm up)."),
    top: int = typer.Option(10, help="Entries to list."),
    ref: str | None = typer.Option(None, help="Profile this git revision instead."),
) -> None:
    if ref is not None:  # the same script, that revision's code on PYTHONPATH
        with revisions.checkout(ROOT, ref) as root:
            cmd = [sys.executable, "-m", "bench.profile_checkout"]
            cmd += ["--checkouts", str(checkouts), "--top", str(top)]
            subprocess.run(cmd, cwd=ROOT, env=revisions.side_env(root), check=True)
        return
    from pyinstrument import Profiler  # optional tool, not a requirement

    from tender.asgi import create  # after the environment is set

    logs = report.REPORTS / "logs" / "profile"
    with running_stack(workers=1, latency_ms=0.0, jitter_ms=0.0, logs=logs) as stack:
        asyncio.run(register_webhook(stack))
        os.environ.update(stack.env)
        asgi = create()

        async def run() -> Profiler:
            async with asgi.router.lifespan_context(asgi):
                await _checkouts(asgi, 20)
                profiler = Profiler(interval=0.0005, async_mode="enabled")
                profiler.start()
                await _checkouts(asgi, checkouts)
                profiler.stop()
                return profiler

        profiler = asyncio.run(run())
    session = profiler.last_session
    assert session is not None
    out = Path(report.REPORTS) / "profile_checkout.html"
    out.write_text(profiler.output_html())
    wall_ms = session.duration * 1000 / checkouts
    cpu_ms = session.cpu_time * 1000 / checkouts
    print(f"{checkouts} checkouts: {wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU each (this process)")
    print(f"top {top} by own time (share of the profiled time):")
    for name, seconds in top_self_time(session.root_frame(), top):
        print(f"  {seconds / session.duration:6.1%}  {name}")
    print(f"top {top} of Tender's functions by time including callees (share):")
    for name, seconds in top_inclusive(session.root_frame(), top):
        print(f"  {seconds / session.duration:6.1%}  {name}")
    print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])
    print(f"full tree: {out}")


if __name__ == "__main__":
    app()

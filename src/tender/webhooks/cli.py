"""`tender webhooks replay [--failed] [--since]`: re-apply stored Stripe events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from tender.config import Settings
from tender.db.runtime import locate
from tender.devdefaults import with_development_defaults
from tender.runtime import Runtime
from tender.webhooks import service

app = typer.Typer(no_args_is_help=True, help="Stripe webhook inbox tools.")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _replay(runtime: Runtime, failed: bool, since: datetime | None) -> dict[str, int]:
    try:
        return await service.replay(runtime, failed_only=failed, since=since)
    finally:
        await runtime.close()


@app.command()
def replay(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed/pending events.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time: events received since then.")
    ] = None,
) -> None:
    """Re-apply stored events idempotently (all of them, or only those that failed)."""
    settings = with_development_defaults(Settings())
    target = locate(settings)
    try:
        runtime = Runtime.build(settings, target.app_url)
        counts = asyncio.run(_replay(runtime, failed, _since(since)))
    finally:
        target.stop()
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to replay"
    typer.echo(f"replayed {sum(counts.values())} event(s) ({summary})")

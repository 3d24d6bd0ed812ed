"""`tender webhooks replay [--failed] [--since 24h] [--json]`: re-apply stored Stripe events."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tender.kit.since import HELP as SINCE_HELP
from tender.kit.since import since_or_exit
from tender.ops.operator import operator_target
from tender.runtime import Runtime
from tender.webhooks import repository, service

app = typer.Typer(no_args_is_help=True, help="Stripe webhook inbox tools.")
console = Console(stderr=True)  # progress on stderr: stdout stays the result


async def _replay(
    runtime: Runtime, failed: bool, since: datetime | None, show_progress: bool
) -> dict[str, int]:
    """Apply each stored event again (idempotent), counting outcomes, with a progress bar."""
    try:
        async with runtime.db.transaction(service.CONTEXT) as conn:
            ids = await repository.events_for_replay(conn, failed_only=failed, since=since)
        counts: dict[str, int] = {}
        columns = (TextColumn("replaying events"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, disable=not show_progress, transient=True) as bar:
            task = bar.add_task("replay", total=len(ids))
            for event_id in ids:
                status = await service.apply_event(runtime, event_id, force=not failed)
                counts[status] = counts.get(status, 0) + 1
                bar.advance(task)
        return counts
    finally:
        await runtime.close()


@app.command(short_help="Re-apply stored events (all, or the failed ones).")
def replay(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed/pending events.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help=f"Events received since: {SINCE_HELP}.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-apply stored events idempotently (all of them, or only those that failed)."""
    start = since_or_exit(since)
    with operator_target() as target:
        runtime = Runtime.build(target.settings, target.database.app_url)
        counts = asyncio.run(_replay(runtime, failed, start, show_progress=not as_json))
    if as_json:
        typer.echo(json.dumps({"replayed": sum(counts.values()), "by_status": counts}))
        return
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to replay"
    typer.echo(f"replayed {sum(counts.values())} event(s) ({summary})")

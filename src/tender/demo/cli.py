"""`tender demo-data [--days 7]`: sample data for a fresh stack (the seed's deployment step)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from tender.config import Settings
from tender.db.runtime import locate
from tender.demo.drive import DemoResult, drive_plan
from tender.demo.plan import plan
from tender.devdefaults import with_development_defaults
from tender.runtime import Runtime

console = Console(stderr=True)


def demo_data(
    days: Annotated[int, typer.Option(min=1, max=90, help="How many days of history.")] = 7,
    per_day: Annotated[int, typer.Option(min=1, max=5000, help="Payments per day.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same plan).")] = 16,
) -> None:
    """Drive a realistic payment history through the real flows and Stripe's test mode."""
    settings = with_development_defaults(Settings())
    if settings.is_production:
        console.print("tender demo-data is refused in production (ENVIRONMENT=production).")
        raise typer.Exit(2)
    key = settings.stripe_secret_key.get_secret_value() if settings.stripe_secret_key else ""
    if not key.startswith("sk_test_"):
        console.print("tender demo-data needs a Stripe test key (sk_test_...): it makes payments.")
        raise typer.Exit(2)
    planned = plan(
        count=days * per_day, days=days, users=max(10, per_day // 2), now=datetime.now(UTC),
        seed=seed, low=settings.min_amount, high=settings.max_amount,
    )  # fmt: skip
    target = locate(settings)

    async def run() -> DemoResult:
        runtime = Runtime.build(settings, target.app_url)
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        try:
            with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
                task = bar.add_task("payments", total=len(planned))
                return await drive_plan(runtime, planned, advance=lambda: bar.advance(task))
        finally:
            await runtime.close()

    try:
        result = asyncio.run(run())
    finally:
        target.stop()
    title = f"Demo history: {days} days, {len(planned)} payments"
    table = Table("outcome", "payments", title=title)
    for outcome, count in sorted(result.outcomes.items()):
        table.add_row(outcome, str(count))
    Console().print(table)

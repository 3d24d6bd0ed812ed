"""`tender demo-data [--days 7]`: sample data for a fresh stack (the seed's deployment step)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from tender.config import Settings
from tender.db.engine import Database
from tender.db.runtime import locate
from tender.demo.drive import DemoResult, drive_plan
from tender.demo.plan import plan
from tender.devdefaults import uses_offline_stripe, with_development_defaults
from tender.launcher import offline_stripe
from tender.runtime import Runtime

console = Console(stderr=True)


@contextmanager
def _stripe_base(settings: Settings, url: str) -> Iterator[Settings]:
    """The test mode to use: STRIPE_API_BASE, else the one the running Tender at `url` uses
    (from its client-config), else a fresh one started for this run."""
    if not uses_offline_stripe(settings):
        yield settings
        return
    try:
        config = httpx.get(f"{url.rstrip('/')}/v1/client-config", timeout=3).json()
        script = str(config["stripe_js_url"])
    except (httpx.HTTPError, ValueError, KeyError):
        script = ""
    if script.endswith("/v3/") and not script.startswith("https://js.stripe.com"):
        yield settings.model_copy(update={"stripe_api_base": script.removesuffix("/v3/")})
        return
    console.print(f"No Tender answers at {url}: using a test mode started for this run only.")
    with offline_stripe(settings) as (base, _pid):
        yield settings.model_copy(update={"stripe_api_base": base})


def demo_data(
    days: Annotated[int, typer.Option(min=1, max=90, help="How many days of history.")] = 7,
    per_day: Annotated[int, typer.Option(min=1, max=5000, help="Payments per day.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same plan).")] = 16,
    url: Annotated[
        str | None, typer.Option(help="The running Tender whose test mode to use (HOST:PORT).")
    ] = None,
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

    async def run(settings: Settings) -> DemoResult:
        runtime = Runtime.build(settings, target.app_url)
        owner = Database(target.migration_url, pool_size=1, max_overflow=0)
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        try:
            with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
                task = bar.add_task("payments", total=len(planned))
                return await drive_plan(
                    runtime, planned, owner=owner, advance=lambda: bar.advance(task)
                )
        finally:
            await owner.dispose()
            await runtime.close()

    try:
        with _stripe_base(settings, url or f"http://{settings.host}:{settings.port}") as ready:
            result = asyncio.run(run(ready))
    finally:
        target.stop()
    title = f"Demo history: {days} days, {len(planned)} payments"
    table = Table("outcome", "payments", title=title)
    for outcome, count in sorted(result.outcomes.items()):
        table.add_row(outcome, str(count))
    Console().print(table)

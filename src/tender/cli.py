"""The `tender` command: serve, migrate, token, db and the tools the other packages add."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from tender.config import Settings
from tender.db import migrate as migrations
from tender.db.runtime import locate, prepare
from tender.devdefaults import with_development_defaults
from tender.emulator.cli import app as emulator_app
from tender.errors import TenderError
from tender.jobs.cli import register as register_jobs
from tender.monitoring.cli import alerts_app, report_app
from tender.ops.doctor import app as doctor_app
from tender.ops.reconcile_cli import app as reconcile_app
from tender.ops.switch_cli import app as switch_app
from tender.webhooks.cli import app as webhooks_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database helpers.")
app.add_typer(db_app, name="db")
app.add_typer(emulator_app, name="emulator")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(switch_app, name="switch")
app.add_typer(doctor_app, name="doctor")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(alerts_app, name="alerts")
app.add_typer(report_app, name="report")
register_jobs(app)  # tender worker, tender jobs (issue 14)
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes.")] = 1,
) -> None:
    """Start Tender: database, migrations, offline Stripe when unconfigured, then the API."""
    from tender.launcher import serve as run

    run(host, port, workers)


@app.command()
def migrate(
    action: Annotated[str, typer.Argument(help="upgrade | downgrade | current")] = "upgrade",
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the SQL; change nothing.")] = False,
) -> None:
    """Apply, revert or show migrations (`tender migrate downgrade 0001 --sql` is a dry run)."""
    if action not in {"upgrade", "downgrade", "current"}:
        raise typer.BadParameter("action is upgrade, downgrade or current")
    if sql:
        if action == "downgrade" and ":" not in revision:
            revision = f"{migrations.head_revision()}:{revision}"
        typer.echo(migrations.offline_sql(action, revision))
        return
    settings = with_development_defaults(Settings())
    target = locate(settings)
    try:
        if action == "upgrade":
            at = (
                asyncio.run(prepare(target))
                if revision == "head"
                else asyncio.run(migrations.upgrade(target.migration_url, revision))
            )
        elif action == "downgrade":
            at = asyncio.run(migrations.downgrade(target.migration_url, revision))
        else:
            at = asyncio.run(migrations.current(target.migration_url))
        console.print(f"database at revision {at or 'base'} (head is {migrations.head_revision()})")
    finally:
        target.stop()


@app.command()
def token(
    user: Annotated[UUID | None, typer.Option(help="User id (the sub claim).")] = None,
    role: Annotated[str, typer.Option(help="authenticated | service_role")] = "authenticated",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Mint a development token signed with SUPABASE_JWT_SECRET (never in production)."""
    from tender.auth.tokens import mint_token

    settings = with_development_defaults(Settings())
    if settings.is_production:
        raise typer.BadParameter("tokens are minted in development only")
    if settings.supabase_jwt_secret is None:
        raise typer.BadParameter("SUPABASE_JWT_SECRET is not set (JWKS-only setups mint none)")
    if role == "authenticated" and user is None:
        raise typer.BadParameter("--user is required for role authenticated")
    typer.echo(
        mint_token(
            settings.supabase_jwt_secret.get_secret_value(),
            user_id=user,
            role=role,
            ttl_seconds=ttl,
        )
    )


@db_app.command("url")
def db_url() -> None:
    """Print the libpq URL of the database in use (starting the embedded one if needed)."""
    settings = with_development_defaults(Settings())
    target = locate(settings)
    try:
        typer.echo(target.migration_url)
    finally:
        target.stop()


def main() -> None:
    try:
        app()
    except TenderError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise SystemExit(2) from None

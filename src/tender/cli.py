"""The `tender` command: serve, migrate, token, db and the tools the other packages add."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from typer import _click as click  # the click typer is built on (it vendors its own)
from typer.core import TyperGroup

from tender.config import Settings
from tender.console.cli import console_link
from tender.db import migrate as migrations
from tender.db.runtime import locate, prepare
from tender.demo.cli import demo_data
from tender.devdefaults import uses_offline_stripe, with_development_defaults
from tender.doctor import app as doctor_app
from tender.errors import TenderError
from tender.jobs.cli import register as register_jobs
from tender.monitoring.cli import alerts_app, report_app
from tender.ops.backup_cli import install as install_backup_commands
from tender.ops.reconcile_cli import app as reconcile_app
from tender.ops.switch_cli import app as switch_app
from tender.webhooks.cli import app as webhooks_app


class _Tender(TyperGroup):
    """Remembers the sub-command's arguments, so the summary line can stay out of `--help`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["tender.args"] = rest
        return name, command, rest


app = typer.Typer(
    cls=_Tender, no_args_is_help=True, add_completion=False, help=__doc__, rich_markup_mode=None
)
db_app = typer.Typer(no_args_is_help=True, help="Database helpers.")
app.add_typer(db_app, name="db")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(switch_app, name="switch")
app.add_typer(doctor_app, name="doctor")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(alerts_app, name="alerts")
app.add_typer(report_app, name="report")
console = Console()
QUIET = {"serve", "migrate", "db", None}  # they say where they are themselves


@app.callback()
def talks_to(ctx: typer.Context) -> None:
    """One line on stderr: which Stripe and which database this command talks to."""
    args = ctx.meta.get("tender.args", [])
    if ctx.invoked_subcommand in QUIET or ctx.resilient_parsing or "--help" in args:
        return
    try:
        settings = with_development_defaults(Settings())
    except TenderError:
        return  # the command itself says why (outside a project, production settings)
    from tender.db.shell import status

    if uses_offline_stripe(settings):
        stripe = "offline test mode, not running (`tender serve` starts it)"
    else:
        stripe = settings.stripe_api_base or "api.stripe.com"
    try:
        database = status(settings).where
    except Exception as exc:  # never let the one-line summary stop the command itself
        database = f"unknown ({type(exc).__name__})"
    typer.echo(f"tender: stripe {stripe}", err=True)
    typer.echo(f"tender: database {database}", err=True)


@app.command(short_help="Start Tender: database, migrations, offline Stripe, API.")
def serve(
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes.")] = 1,
    reset: Annotated[
        bool, typer.Option("--reset", help="Start clean: empty database and Stripe test mode.")
    ] = False,
) -> None:
    """Start Tender: database, migrations, offline Stripe when unconfigured, then the API."""
    from tender.launcher import serve as run

    run(host, port, workers, reset=reset)


@app.command(short_help="Apply, revert or show migrations (--sql: a dry run).")
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


@app.command(short_help="Mint a development token (never in production).")
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


@db_app.command("url", short_help="The database URL in use, and whether it runs.")
def db_url() -> None:
    """Print the libpq URL of the database in use; exit 1 (and say so) when it is not running."""
    from tender.db.shell import status

    found = status(with_development_defaults(Settings()))
    typer.echo(found.where, err=True)
    if found.url is None or not found.running:
        raise typer.Exit(1)
    typer.echo(found.url)


@db_app.command(
    "psql",
    short_help="psql on that database (starts the embedded one if needed).",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the database (starting the embedded one if needed, stopping it after)."""
    from tender.db.shell import psql

    raise typer.Exit(psql(with_development_defaults(Settings()), list(ctx.args)))


# The other packages' commands, after Tender's own (help lists them in this order).
register_jobs(app)  # tender worker, tender jobs
install_backup_commands(app)  # tender backup [drill], tender restore
app.command("console", short_help="A one-time link to the operations console.")(console_link)
app.command("demo-data", short_help="A realistic payment history (never in production).")(demo_data)


def main() -> None:
    try:
        app()
    except TenderError as exc:
        console.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
        raise SystemExit(2) from None

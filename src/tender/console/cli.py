"""`tender console`: print a one-time link that signs an operator in to the console."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from tender.config import Settings
from tender.console.auth import mint_link_token
from tender.devdefaults import with_development_defaults


def console_link(
    url: Annotated[
        str | None, typer.Option(help="Tender's address (default: PUBLIC_BASE_URL or HOST:PORT).")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who signs in (kept in the audit log); default: $USER.")
    ] = None,
) -> None:
    """Print a one-time link to the operations console (valid CONSOLE_LINK_MINUTES, used once)."""
    settings = with_development_defaults(Settings())
    base = url or settings.public_base_url or f"http://{settings.host}:{settings.port}"
    try:
        who = actor or getpass.getuser()
    except (OSError, KeyError):  # no login name (a container's anonymous uid)
        who = "operator"
    token = mint_link_token(settings, who)
    typer.echo(f"{base.rstrip('/')}/console/login?code={token}")
    typer.echo(
        f"Valid for {settings.console_link_minutes} minutes, once, as console:{who}.", err=True
    )

"""What an operator command runs against: the configured database, as a named actor."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tender.config import Settings
from tender.db.runtime import DatabaseTarget, locate
from tender.devdefaults import with_development_defaults


@dataclass(frozen=True)
class OperatorTarget:
    settings: Settings
    database: DatabaseTarget


@contextmanager
def operator_target() -> Iterator[OperatorTarget]:
    """Settings from the environment and the database they name (embedded if none)."""
    settings = with_development_defaults(Settings())
    target = locate(settings)
    try:
        yield OperatorTarget(settings, target)
    finally:
        target.stop()


def default_actor() -> str:
    """`cli:<user>@<host>`: who ran the command, for the audit trail."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"

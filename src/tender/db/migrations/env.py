"""Alembic environment: Tender always hands in an open connection (see tender.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")


def run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    # paramstyle "named": a pyformat dialect would print every % as %% (format('%s'), LIKE)
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()
elif isinstance(connection, Connection):
    run(connection)
else:  # pragma: no cover - only reached when alembic is run by hand without Tender
    raise RuntimeError("run migrations through `tender migrate`")

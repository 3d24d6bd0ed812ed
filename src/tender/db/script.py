"""Run a multi-statement SQL script from inside a migration.

asyncpg prepares every statement, and a prepared statement holds one command; a script with
DO blocks and several commands goes through asyncpg's simple-query path instead. In offline
mode (`tender migrate ... --sql`) the script is emitted as text.
"""

from __future__ import annotations

from typing import Any

from alembic import context, op
from sqlalchemy.util import await_only


def execute_script(sql: str) -> None:
    if context.is_offline_mode():
        op.execute(sql)
        return
    driver: Any = op.get_bind().connection.dbapi_connection
    await_only(driver.driver_connection.execute(sql))

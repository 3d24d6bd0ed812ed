"""Operator fixtures: a CLI environment pointing at the test database, cleared switches."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from tender.config import Settings
from tender.db.engine import Database
from tests.conftest import JWT_SECRET, WEBHOOK_SECRET


@pytest.fixture
def cli_env(database_urls: tuple[str, str], test_settings: Settings) -> dict[str, str]:
    """Environment for `tender ...` run as a subprocess or through CliRunner."""
    assert test_settings.stripe_api_base is not None
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_urls[1],
        "DATABASE_MIGRATION_URL": database_urls[0],
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_offline",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": test_settings.stripe_api_base,
        "DATA_DIR": str(test_settings.data_dir),
    }


@pytest.fixture
async def clean_switches(owner_db: Database) -> AsyncIterator[None]:
    async def clear() -> None:
        async with owner_db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM kill_switches"))

    await clear()
    yield
    await clear()

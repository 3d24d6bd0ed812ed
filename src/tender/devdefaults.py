"""Development defaults: the settings `make run` needs when nothing is configured.

Secrets made here are random, kept in the data folder so tokens survive a restart, and never
used in production (the production guard refuses to start without real ones).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import SecretStr

from tender.config import Settings

OFFLINE_SECRET_KEY = "sk_test_tender_offline"
OFFLINE_PUBLISHABLE_KEY = "pk_test_tender_offline"


def _persisted_secret(path: Path, prefix: str) -> SecretStr:
    if path.exists():
        return SecretStr(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = prefix + secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return SecretStr(value)


def with_development_defaults(settings: Settings) -> Settings:
    """Fill the missing secrets for an offline run; production settings pass unchanged."""
    if settings.is_production:
        return settings
    updates: dict[str, object] = {}
    if settings.supabase_jwt_secret is None and settings.supabase_url is None:
        updates["supabase_jwt_secret"] = _persisted_secret(settings.data_dir / "jwt-secret", "")
    if settings.stripe_secret_key is None:
        updates["stripe_secret_key"] = SecretStr(OFFLINE_SECRET_KEY)
        updates["stripe_publishable_key"] = SecretStr(OFFLINE_PUBLISHABLE_KEY)
    if settings.stripe_webhook_secret is None:
        updates["stripe_webhook_secret"] = _persisted_secret(
            settings.data_dir / "webhook-secret", "whsec_"
        )
    return settings.model_copy(update=updates)


def uses_offline_stripe(settings: Settings) -> bool:
    key = settings.stripe_secret_key
    return (
        settings.stripe_api_base is None
        and key is not None
        and (key.get_secret_value() == OFFLINE_SECRET_KEY)
    )

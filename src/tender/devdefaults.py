"""Development defaults: the settings `make run` needs when nothing is configured.

Secrets made here are random, kept in the data folder so tokens survive a restart, and never
used in production (the production guard refuses to start without real ones).
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from tender import stackfile
from tender.config import Settings
from tender.errors import ConfigurationError

OFFLINE_SECRET_KEY = "sk_test_tender_offline"
OFFLINE_PUBLISHABLE_KEY = "pk_test_tender_offline"
NOT_IN_PROJECT = (
    "This is not inside a Tender project (no .tender folder and no pyproject.toml naming "
    "tender here or above), so there is no development secret to use. Run the command from "
    "the project's folder, or set DATA_DIR to its .tender folder."
)


def _persisted_secret(settings: Settings, name: str, prefix: str) -> SecretStr:
    path = settings.data_dir / name
    if path.exists():
        return SecretStr(path.read_text().strip())
    if not settings.in_project:  # a new secret here would sign tokens nothing accepts
        raise ConfigurationError(NOT_IN_PROJECT)
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
        updates["supabase_jwt_secret"] = _persisted_secret(settings, "jwt-secret", "")
    if settings.stripe_secret_key is None:
        updates["stripe_secret_key"] = SecretStr(OFFLINE_SECRET_KEY)
        updates["stripe_publishable_key"] = SecretStr(OFFLINE_PUBLISHABLE_KEY)
    if settings.stripe_webhook_secret is None:
        updates["stripe_webhook_secret"] = _persisted_secret(settings, "webhook-secret", "whsec_")
    settings = settings.model_copy(update=updates)
    if uses_offline_stripe(settings):  # the test mode `tender serve` runs, wherever it listens
        stack = stackfile.read(settings.data_dir)
        if stack is not None and stack.stripe_api_base is not None:
            settings = settings.model_copy(update={"stripe_api_base": stack.stripe_api_base})
    return settings


def uses_offline_stripe(settings: Settings) -> bool:
    key = settings.stripe_secret_key
    return (
        settings.stripe_api_base is None
        and key is not None
        and (key.get_secret_value() == OFFLINE_SECRET_KEY)
    )

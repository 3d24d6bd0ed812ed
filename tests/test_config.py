"""The production guard refuses unsafe settings, names the variable and never its value."""

from __future__ import annotations

import pytest

from tender.config import Settings
from tender.errors import ConfigurationError

LIVE = {
    "ENVIRONMENT": "production",
    "STRIPE_SECRET_KEY": "sk_live_secretvalue123",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_publicvalue123",
    "STRIPE_WEBHOOK_SECRET": "whsec_livevalue123",
    "SUPABASE_JWT_SECRET": "jwtsecretvalue123",
    "DATABASE_URL": "postgresql://app@db.internal/tender",
    "BANK_TRANSFER_ACCOUNT_HOLDER": "Example Shop GmbH",
    "BANK_TRANSFER_IBAN": "DE02120300000000202051",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*LIVE, "SUPABASE_URL", "DISABLED_PAYMENT_METHODS", "BANK_TRANSFER_ACCOUNT_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no .env file is read
    for name, value in LIVE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_live_settings_pass(env: pytest.MonkeyPatch) -> None:
    Settings().check_production()


@pytest.mark.parametrize(
    ("name", "value", "names"),
    [
        ("STRIPE_SECRET_KEY", "sk_test_secretvalue123", "STRIPE_SECRET_KEY"),
        ("STRIPE_SECRET_KEY", "pk_live_secretvalue123", "STRIPE_SECRET_KEY"),
        ("STRIPE_SECRET_KEY", None, "STRIPE_SECRET_KEY"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_publicvalue123", "STRIPE_PUBLISHABLE_KEY"),
        ("STRIPE_PUBLISHABLE_KEY", "sk_live_publicvalue123", "STRIPE_PUBLISHABLE_KEY"),
        ("STRIPE_WEBHOOK_SECRET", None, "STRIPE_WEBHOOK_SECRET"),
        ("SUPABASE_JWT_SECRET", None, "SUPABASE_JWT_SECRET"),
        ("DATABASE_URL", None, "DATABASE_URL"),
        ("BANK_TRANSFER_IBAN", None, "BANK_TRANSFER_IBAN"),
        ("BANK_TRANSFER_ACCOUNT_HOLDER", None, "BANK_TRANSFER_ACCOUNT_HOLDER"),
    ],
)
def test_production_guard(
    env: pytest.MonkeyPatch, name: str, value: str | None, names: str
) -> None:
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        Settings().check_production()
    message = caught.value.message
    assert names in message
    assert "\n" not in message
    for variable, secret in LIVE.items():
        if variable != "ENVIRONMENT":
            assert secret not in message
    if value:
        assert value not in message


def test_bank_details_are_not_needed_when_bank_transfer_is_disabled(
    env: pytest.MonkeyPatch,
) -> None:
    env.delenv("BANK_TRANSFER_IBAN")
    env.setenv("DISABLED_PAYMENT_METHODS", "bank_transfer")
    Settings().check_production()


def test_jwks_alone_satisfies_the_jwt_requirement(env: pytest.MonkeyPatch) -> None:
    env.delenv("SUPABASE_JWT_SECRET")
    env.setenv("SUPABASE_URL", "https://example.supabase.co")
    Settings().check_production()


def test_development_accepts_test_keys(env: pytest.MonkeyPatch) -> None:
    env.setenv("ENVIRONMENT", "development")
    env.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    Settings().check_production()


def test_secrets_never_appear_in_the_settings_repr(env: pytest.MonkeyPatch) -> None:
    text = repr(Settings()) + str(Settings().model_dump())
    for secret in LIVE.values():
        if secret.startswith(("sk_", "pk_", "whsec_", "jwt")):
            assert secret not in text

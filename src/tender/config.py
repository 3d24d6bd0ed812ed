"""One Settings class, read from the environment with the seed's variable names."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tender.errors import ConfigurationError

PROJECT_ROOT = Path.cwd()
DATA_FOLDER = ".tender"


def _names_tender(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text()
    except OSError:
        return False
    return any(line.replace(" ", "") == 'name="tender"' for line in text.splitlines())


def find_project(start: Path | None = None) -> Path | None:
    """The Tender project holding `start` (default: the working folder), walking up: the first
    folder with a `.tender` data folder or a pyproject.toml naming `tender`; None outside one."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DATA_FOLDER).is_dir() or _names_tender(folder / "pyproject.toml"):
            return folder
    return None


def _project_env() -> Path:
    root = find_project()
    return (root if root is not None else PROJECT_ROOT) / ".env"


def default_data_dir() -> Path:
    """DATA_DIR's default: the project's `.tender`, from any folder inside it."""
    root = find_project()
    return (root if root is not None else PROJECT_ROOT) / DATA_FOLDER


class Environment(StrEnum):
    development = "development"
    test = "test"
    staging = "staging"
    production = "production"


class Settings(BaseSettings):
    """Everything Tender reads from its environment. Secrets are SecretStr: never printed."""

    # `.env` in the working folder, else the project's (commands run from any of its folders).
    model_config = SettingsConfigDict(
        env_file=(_project_env(), ".env"), extra="ignore", case_sensitive=False
    )

    environment: Environment = Environment.development
    log_level: str = "info"

    # Stripe (seed names)
    stripe_publishable_key: SecretStr | None = None
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Stripe API address; unset means api.stripe.com."
    )
    stripe_max_network_retries: int = Field(
        default=2, ge=0, description="Retries of a Stripe call (same idempotency key)."
    )
    stripe_timeout_seconds: float = Field(
        default=20.0, gt=0, description="Longest single Stripe try (capped by the budget)."
    )
    payment_time_budget_seconds: float = Field(
        default=8.0,
        gt=0,
        description="Total time of one payment operation, Stripe retries included.",
    )
    payment_recheck_interval_seconds: int = Field(
        default=2,
        ge=0,
        description="Period of the job that settles `processing` payments and unanswered "
        "refunds with Stripe (0: off; the webhook and reconciliation still settle them).",
    )

    # Supabase / auth (seed names)
    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    supabase_service_role_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = None
    jwt_audience: str = "authenticated"
    jwks_cache_seconds: int = 600

    # Infrastructure
    database_url: SecretStr | None = None
    database_migration_url: SecretStr | None = None
    database_pool_size: int = 10
    database_max_overflow: int = 10
    data_dir: Path = Field(default_factory=default_data_dir)
    redis_url: SecretStr | None = None
    cache_max_entries: int = Field(default=10_000, description="In-process cache size (LRU).")
    cache_timeout_seconds: float = Field(
        default=0.25, description="Redis socket timeout; a slower cache counts as a miss."
    )
    sentry_dsn: SecretStr | None = None

    # Monitoring (issue 5): the seed's ValidationMonitor.configure({...}) as settings.
    monitor_enable_logging: bool = True
    monitor_enable_metrics: bool = Field(default=True, description="Serve GET /metrics.")
    monitor_enable_alerts: bool = True
    monitor_alert_error_rate: float = Field(
        default=0.05, description="Stripe API error rate that alerts (seed errorRate)."
    )
    monitor_alert_response_time_ms: float = Field(
        default=5000.0, description="Average payment response time that alerts (seed)."
    )
    metrics_endpoint: str | None = Field(
        default=None, description="Pushgateway URL to push metrics to; unset: scrape only."
    )
    metrics_push_interval_seconds: float = 15.0
    alert_interval_seconds: float = Field(
        default=60.0, description="In-service alert evaluation period; 0 turns it off."
    )
    alert_window_seconds: float = Field(
        default=300.0, description="Sliding window of the rate rules."
    )
    alert_repeat_seconds: float = Field(
        default=3600.0, description="Re-notify a still-firing alert this often."
    )
    alert_min_samples: int = Field(default=10, description="Fewer events never fire a rate.")
    alert_payment_failure_rate: float = 0.10
    alert_cache_hit_rate: float = 0.80
    alert_error_spike_factor: float = 3.0
    alert_error_baseline_hours: int = 168
    alert_method_usage_drop: float = 0.20
    alert_failed_amount_per_hour: float = Field(
        default=1000.0, description="Failed amount per hour (major units, per currency)."
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None, description="Generic JSON (Slack-compatible) alert webhook."
    )
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    health_check_timeout_seconds: float = Field(
        default=1.5, description="Per-check limit; /api/health/payment answers within 2 s."
    )
    health_webhook_failed_max: int = Field(
        default=10, description="More failed inbox events than this: webhooks unhealthy."
    )
    health_webhook_pending_max_seconds: float = Field(
        default=600.0, description="An inbox event pending longer than this: unhealthy."
    )

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000

    # Payment rules
    min_amount: int = 50
    max_amount: int = 100_000
    supported_currencies: list[str] = Field(
        default_factory=lambda: ["usd", "eur", "gbp", "cad", "aud", "jpy"]
    )

    # Operations and hardening (issue 6). Lists read as comma-separated values.
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="IPs/CIDRs whose X-Forwarded-* headers are honoured."
    )
    https_only: bool | None = Field(
        default=None, description="Refuse plain HTTP; unset means on in production only."
    )
    max_body_bytes: int = 64 * 1024
    rate_limit_window_seconds: int = 60
    rate_limit_per_user: int = 120
    rate_limit_per_ip: int = 300
    card_testing_max_declines: int = 5
    card_testing_window_seconds: int = 900
    card_testing_block_seconds: int = 3600
    payment_maintenance: bool | None = None
    accept_new_payments: bool | None = None
    disabled_payment_methods: Annotated[list[str], NoDecode] = Field(default_factory=list)
    reconcile_interval_seconds: int = Field(
        default=900, description="Scheduled reconciliation period; 0 turns it off."
    )
    reconcile_window_minutes: int = Field(
        default=60,
        description="How far the scheduled pass looks back; `tender reconcile --since` for more.",
    )
    webhook_stale_hours: int = 24
    # Where bank transfers go (issue 12); development shows marked test data when unset.
    bank_transfer_account_holder: str | None = None
    bank_transfer_iban: str | None = None
    bank_transfer_bic: str | None = None
    bank_transfer_account_number: str | None = None
    bank_transfer_routing_number: str | None = None
    bank_transfer_bank_name: str | None = None

    # Backups (issue 15)
    backup_dir: Path | None = Field(
        default=None, description="Where `tender backup` writes; doctor checks its freshness."
    )
    backup_max_age_hours: float = Field(
        default=24.0, description="Doctor fails when the newest backup in BACKUP_DIR is older."
    )

    # Checkout page and console (issue 16)
    checkout_session_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="How long a checkout link stays usable."
    )
    public_base_url: str | None = Field(
        default=None, description="Public address for checkout links; unset: the request's."
    )
    console_link_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long a `tender console` link is valid."
    )

    # Scale-out (issue 14): the job queue, its workers and PgBouncer.
    run_worker_in_process: bool = Field(
        default=True, description="`tender serve` also runs a job worker; off with separate ones."
    )
    jobs_database_url: SecretStr | None = Field(
        default=None,
        description="Direct PostgreSQL URL for job workers (LISTEN/NOTIFY); default DATABASE_URL.",
    )
    jobs_concurrency: int = Field(default=4, description="Jobs one worker runs at once.")
    jobs_poll_seconds: float = Field(default=1.0, description="Queue poll when no NOTIFY came.")
    jobs_listen_notify: bool = True
    webhook_apply_inline: bool = Field(
        default=False,
        description="Also apply a webhook before answering (tests); the job then finds it done.",
    )
    webhook_retry_interval_seconds: int = Field(
        default=10, description="Period of the job re-applying failed/pending inbox events."
    )
    offline_expiry_interval_seconds: int = 60
    database_pgbouncer: bool = Field(
        default=False, description="DATABASE_URL is PgBouncer (transaction pooling)."
    )

    @field_validator(
        "cors_allowed_origins", "trusted_proxies", "disabled_payment_methods", mode="before"
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def stripe_js_url(self) -> str:
        """Where pages load Stripe.js: Stripe's CDN, or the offline test mode's /v3/."""
        if self.stripe_api_base:
            return self.stripe_api_base.rstrip("/") + "/v3/"
        return "https://js.stripe.com/v3/"

    @property
    def enforce_https(self) -> bool:
        return self.is_production if self.https_only is None else self.https_only

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @cached_property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def in_project(self) -> bool:
        """DATA_DIR was given, or the working folder is inside a Tender project."""
        return "data_dir" in self.model_fields_set or find_project() is not None

    def check_production(self) -> None:
        """Refuse unsafe production settings with one line naming the variable, never its value."""
        problems = production_problems(self)
        if problems:
            raise ConfigurationError(problems[0])


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def production_problems(settings: Settings) -> list[str]:
    """Every reason these settings are unfit for production (empty when fit)."""
    if not settings.is_production:
        return []
    problems: list[str] = []
    secret = _value(settings.stripe_secret_key)
    publishable = _value(settings.stripe_publishable_key)
    if not secret:
        problems.append("STRIPE_SECRET_KEY is not set")
    elif secret.startswith(("pk_", "rk_test_")):
        problems.append("STRIPE_SECRET_KEY holds a publishable key; it needs sk_live_...")
    elif secret.startswith("sk_test_"):
        problems.append("STRIPE_SECRET_KEY is a test key; production needs sk_live_...")
    elif not secret.startswith(("sk_live_", "rk_live_")):
        problems.append("STRIPE_SECRET_KEY is not a Stripe secret key (sk_live_...)")
    if not publishable:
        problems.append("STRIPE_PUBLISHABLE_KEY is not set")
    elif publishable.startswith(("sk_", "rk_")):
        problems.append("STRIPE_PUBLISHABLE_KEY holds a secret key; it needs pk_live_...")
    elif publishable.startswith("pk_test_"):
        problems.append("STRIPE_PUBLISHABLE_KEY is a test key; production needs pk_live_...")
    elif not publishable.startswith("pk_live_"):
        problems.append("STRIPE_PUBLISHABLE_KEY is not a Stripe publishable key (pk_live_...)")
    if not _value(settings.stripe_webhook_secret).startswith("whsec_"):
        problems.append("STRIPE_WEBHOOK_SECRET is not set (whsec_...)")
    if not _value(settings.supabase_jwt_secret) and not settings.supabase_url:
        problems.append("SUPABASE_JWT_SECRET or SUPABASE_URL (for JWKS) must be set")
    if settings.database_url is None:
        problems.append("DATABASE_URL is not set; production never uses the embedded database")
    if "bank_transfer" not in settings.disabled_payment_methods and not (
        settings.bank_transfer_account_holder
        and (settings.bank_transfer_iban or settings.bank_transfer_account_number)
    ):
        problems.append(
            "BANK_TRANSFER_ACCOUNT_HOLDER and BANK_TRANSFER_IBAN (or BANK_TRANSFER_ACCOUNT_NUMBER)"
            " must be set, or DISABLED_PAYMENT_METHODS must include bank_transfer"
        )
    return problems

"""The seed's go-live checklist as checks: each returns a pass/fail/warn/skip line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tender.config import Environment, Settings, production_problems
from tender.db import migrate
from tender.db.provision import APP_ROLE
from tender.gateway.stripe import StripeGateway
from tender.ops import catalog
from tender.ops.backup import latest_backup
from tender.ops.bundle_scan import scan_bundle
from tender.security.headers import SECURITY_HEADERS

USER_TABLES = (
    "customers", "orders", "payment_methods", "payments", "payment_errors", "refunds",
    "idempotency_keys",
)  # fmt: skip
SERVICE_TABLES = ("stripe_events", "kill_switches", "audit_log")
ROLES = ("anon", "authenticated", "service_role")
INDEXES = (
    "orders_user_created_idx", "payment_methods_user_idx", "payment_methods_one_default_idx",
    "payments_user_created_idx", "payments_created_idx", "payments_status_created_idx",
    "payments_order_idx", "payments_method_idx", "payments_offline_expiry_idx",
    "payments_one_live_per_order_idx", "payment_errors_created_idx", "payment_errors_user_idx",
    "refunds_payment_idx", "stripe_events_due_idx", "stripe_events_received_idx",
    "stripe_events_object_idx", "audit_log_at_idx",
)  # fmt: skip
WEBHOOK_EVENTS = (
    "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_method.attached", "payment_method.detached",
)  # fmt: skip
SEED_LOG_STATEMENT = "mod"
SEED_LOG_MIN_DURATION_MS = 1000


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # pass | fail | warn | skip
    detail: str


@dataclass
class DoctorContext:
    settings: Settings
    app_url: str
    owner_url: str
    base_url: str | None = None  # a served instance to probe; None: an in-process app
    bundle: Path | None = None
    http: httpx.AsyncClient | None = None  # set by the runner
    owner: asyncpg.Connection | None = None  # set by the runner when the database answers


Check = Callable[[DoctorContext], Awaitable[CheckResult]]


def _ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "pass", detail)


def _fail(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "fail", detail)


def _secret(settings: Settings, field: str) -> str:
    value = getattr(settings, field)
    return value.get_secret_value() if value is not None else ""


async def check_settings(ctx: DoctorContext) -> CheckResult:
    name = "settings"
    s = ctx.settings
    problems = production_problems(s)
    secret, publishable = _secret(s, "stripe_secret_key"), _secret(s, "stripe_publishable_key")
    if not secret.startswith(("sk_", "rk_")):
        problems.append("STRIPE_SECRET_KEY is not a Stripe secret key")
    if not publishable.startswith("pk_"):
        problems.append("STRIPE_PUBLISHABLE_KEY is not a publishable key (pk_...)")
    live = {"live" in secret[:8], "live" in publishable[:8]}
    if len(live) > 1:
        problems.append("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are from different modes")
    if not _secret(s, "stripe_webhook_secret").startswith("whsec_"):
        problems.append("STRIPE_WEBHOOK_SECRET is not set (whsec_...)")
    if problems:
        return _fail(name, "; ".join(dict.fromkeys(problems)))
    mode = "live" if True in live else "test"
    if mode == "live" and not s.is_production:
        return CheckResult(name, "warn", f"live keys outside production ({s.environment})")
    return _ok(name, f"{s.environment}: {mode} keys, publishable pk_{mode}_, webhook secret set")


async def check_database(ctx: DoctorContext) -> CheckResult:
    if ctx.owner is None:
        return _fail("database", "not reachable")
    version = await catalog.server_version(ctx.owner)
    return _ok("database", f"reachable (PostgreSQL {version})")


def _needs_db(name: str, ctx: DoctorContext) -> asyncpg.Connection | CheckResult:
    return ctx.owner if ctx.owner is not None else _fail(name, "database not reachable")


async def check_migrations(ctx: DoctorContext) -> CheckResult:
    conn = _needs_db("migrations", ctx)
    if isinstance(conn, CheckResult):
        return conn
    head, at = migrate.head_revision(), await catalog.alembic_revision(conn)
    if at != head:
        return _fail("migrations", f"database at {at or 'base'}, head is {head}: tender migrate")
    return _ok("migrations", f"at head ({head})")


async def check_rls(ctx: DoctorContext) -> CheckResult:
    conn = _needs_db("row level security", ctx)
    if isinstance(conn, CheckResult):
        return conn
    problems: list[str] = []
    for t in await catalog.table_security(conn, USER_TABLES + SERVICE_TABLES):
        if not t.exists:
            problems.append(f"{t.name}: missing")
            continue
        if not t.rls_enabled:
            problems.append(f"{t.name}: RLS disabled")
        if not t.rls_forced:
            problems.append(f"{t.name}: RLS not forced")
        wanted = {"authenticated", "service_role"} if t.name in USER_TABLES else {"service_role"}
        if missing := wanted - t.policy_roles:
            problems.append(f"{t.name}: no policy for {', '.join(sorted(missing))}")
    if problems:
        return _fail("row level security", "; ".join(problems))
    count = len(USER_TABLES + SERVICE_TABLES)
    return _ok("row level security", f"enabled, forced and with policies on {count} tables")


async def check_roles(ctx: DoctorContext) -> CheckResult:
    conn = _needs_db("roles", ctx)
    if isinstance(conn, CheckResult):
        return conn
    missing = set(ROLES) - await catalog.existing_roles(conn, ROLES)
    if missing:
        return _fail("roles", f"missing: {', '.join(sorted(missing))}")
    login = asyncpg_user(ctx.app_url) or APP_ROLE
    superuser, bypass, owned = await catalog.login_role_powers(conn, login)
    if superuser or bypass or owned:
        why = "is superuser" if superuser else "has BYPASSRLS" if bypass else f"owns {owned} tables"
        return _fail("roles", f"app login role {login} {why}: RLS would not bind it")
    return _ok("roles", f"{', '.join(ROLES)} present; {login} owns nothing, no bypass")


def asyncpg_user(url: str) -> str | None:
    return make_url(url).username


async def check_logging(ctx: DoctorContext) -> CheckResult:
    conn = _needs_db("database logging", ctx)
    if isinstance(conn, CheckResult):
        return conn
    statement, duration = await catalog.logging_settings(conn)
    detail = f"log_statement={statement}, log_min_duration_statement={duration}ms"
    if statement == SEED_LOG_STATEMENT and 0 < duration <= SEED_LOG_MIN_DURATION_MS:
        return _ok("database logging", detail)
    advice = (
        f"{detail}; seed: ALTER DATABASE ... SET log_statement = 'mod', "
        f"log_min_duration_statement = {SEED_LOG_MIN_DURATION_MS}"
    )
    return CheckResult("database logging", "fail" if ctx.settings.is_production else "warn", advice)


async def check_indexes(ctx: DoctorContext) -> CheckResult:
    conn = _needs_db("indexes", ctx)
    if isinstance(conn, CheckResult):
        return conn
    missing = [i for i in INDEXES if i not in await catalog.existing_indexes(conn, INDEXES)]
    if missing:
        return _fail("indexes", f"missing: {', '.join(missing)}")
    return _ok("indexes", f"{len(INDEXES)} payment indexes present")


@asynccontextmanager
async def _stripe(ctx: DoctorContext) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(ctx.settings)
    try:
        yield gateway
    finally:
        await gateway.close()


async def check_stripe(ctx: DoctorContext) -> CheckResult:
    try:
        async with _stripe(ctx) as gateway:
            await gateway.ping()
    except Exception as exc:
        return _fail("stripe", f"not reachable with the key: {type(exc).__name__}")
    where = ctx.settings.stripe_api_base or "api.stripe.com"
    return _ok("stripe", f"reachable with the key ({where})")


async def check_webhook_endpoint(ctx: DoctorContext) -> CheckResult:
    name = "webhook endpoint"
    try:
        async with _stripe(ctx) as gateway:
            endpoints = await gateway.list_webhook_endpoints()
    except Exception as exc:
        return _fail(name, f"cannot list webhook endpoints: {type(exc).__name__}")
    best: set[str] = set(WEBHOOK_EVENTS)
    for endpoint in endpoints:
        if endpoint["status"] != "enabled":
            continue
        events = set(endpoint["enabled_events"])
        missing = set() if "*" in events else set(WEBHOOK_EVENTS) - events
        if not missing:
            return _ok(name, f"{endpoint['url']} receives the seed's {len(WEBHOOK_EVENTS)} events")
        best = min(best, missing, key=len)
    if not endpoints:
        return _fail(name, "no webhook endpoint registered in Stripe")
    return _fail(name, f"no enabled endpoint receives: {', '.join(sorted(best))}")


async def check_webhook_delivery(ctx: DoctorContext) -> CheckResult:
    name = "webhook delivery"
    conn = _needs_db(name, ctx)
    if isinstance(conn, CheckResult):
        return conn
    last = await catalog.last_webhook_received(conn)
    limit = timedelta(hours=ctx.settings.webhook_stale_hours)
    if last is None:
        if ctx.settings.environment is Environment.development:
            return CheckResult(name, "warn", "no webhook event received yet (nothing paid here)")
        return _fail(name, "no webhook event ever received")
    age = datetime.now(UTC) - last
    if age > limit:
        return _fail(name, f"last event {age.total_seconds() / 3600:.1f} h ago (limit {limit})")
    return _ok(name, f"last event {age.total_seconds():.0f} s ago")


async def check_health(ctx: DoctorContext) -> CheckResult:
    assert ctx.http is not None
    try:
        response = await ctx.http.get("/api/health/payment")
    except httpx.HTTPError as exc:
        return _fail("health", f"not answering: {type(exc).__name__}")
    if response.status_code != 200:
        failing = [k for k, v in response.json().get("checks", {}).items() if not v.get("healthy")]
        return _fail("health", f"HTTP {response.status_code}; failing: {', '.join(failing)}")
    return _ok("health", "/api/health/payment is green")


async def check_headers(ctx: DoctorContext) -> CheckResult:
    assert ctx.http is not None
    missing: set[str] = set()
    for path in ("/livez", "/api/health/payment", "/doctor-missing-page"):
        try:
            response = await ctx.http.get(path)
        except httpx.HTTPError as exc:
            return _fail("security headers", f"{path}: {type(exc).__name__}")
        missing |= {n for n, v in SECURITY_HEADERS.items() if response.headers.get(n) != v}
    if missing:
        return _fail("security headers", f"missing or different: {', '.join(sorted(missing))}")
    return _ok("security headers", f"all {len(SECURITY_HEADERS)} seed headers, 404s included")


async def check_bundle(ctx: DoctorContext) -> CheckResult:
    if ctx.bundle is None:
        return CheckResult("client bundle", "skip", "pass --bundle DIR to scan a built client")
    if not ctx.bundle.exists():
        return _fail("client bundle", f"{ctx.bundle} does not exist")
    known = {
        "service-role key": _secret(ctx.settings, "supabase_service_role_key"),
        "STRIPE_SECRET_KEY": _secret(ctx.settings, "stripe_secret_key"),
        "STRIPE_WEBHOOK_SECRET": _secret(ctx.settings, "stripe_webhook_secret"),
        "SUPABASE_JWT_SECRET": _secret(ctx.settings, "supabase_jwt_secret"),
    }
    findings = scan_bundle(ctx.bundle, known)
    if findings:
        return _fail("client bundle", "secrets found: " + "; ".join(map(str, findings[:10])))
    return _ok("client bundle", f"no secret keys in {ctx.bundle}")


async def check_backups(ctx: DoctorContext) -> CheckResult:
    """The seed's "backup strategy in place": BACKUP_DIR holds a recent, complete backup."""
    folder = ctx.settings.backup_dir
    if folder is None:
        return CheckResult("backups", "skip", "BACKUP_DIR not set (managed PITR?)")
    latest = await asyncio.to_thread(latest_backup, folder)
    if latest is None:
        return _fail("backups", f"no complete backup in {folder}: tender backup")
    age = datetime.now(UTC) - latest.manifest.created_at
    hours, limit = age.total_seconds() / 3600, ctx.settings.backup_max_age_hours
    if hours > limit:
        return _fail("backups", f"newest backup {latest.dump.name} is {hours:.1f} h old "
                     f"(BACKUP_MAX_AGE_HOURS={limit:g})")  # fmt: skip
    return _ok("backups", f"newest backup {latest.dump.name} is {hours:.1f} h old")


CHECKS: tuple[Check, ...] = (
    check_settings, check_database, check_migrations, check_rls, check_roles, check_logging,
    check_indexes, check_stripe, check_webhook_endpoint, check_webhook_delivery,
    check_health, check_headers, check_bundle, check_backups,
)  # fmt: skip

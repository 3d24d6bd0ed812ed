"""Explicit grants: users read their own rows and write nothing; no TRUNCATE for API roles.

Revision ID: 0002_grants
Revises: 0001
Create Date: 2026-11-26

0001 handed `authenticated` every write on the user tables (guarded only by RLS), `anon`
SELECT, and left `alembic_version` to whatever the server's default privileges give. On
Supabase those defaults are ALL (TRUNCATE included) for anon, authenticated and service_role,
and PostgREST exposes every table to every signed-in user, so a user could PATCH their own
payment to `succeeded`. This revision revokes everything the API roles hold on Tender's
objects and grants back, per table and command, only what Tender's own code needs:

- `authenticated`: SELECT on the user tables, rows limited to `user_id = auth.uid()` by a
  SELECT-only policy (`<table>_owner` was FOR ALL; now even a stray grant writes no row).
  Every write made on a user's behalf runs as `service_role` after Tender's checks
  (`tender.db.rls.acting_as_service`, with an explicit owner predicate in the SQL).
- `service_role`: SELECT/INSERT/UPDATE where Tender writes, SELECT/INSERT where it only
  appends (errors, customers, audit trail); never DELETE or TRUNCATE.
- `anon`: nothing.
- `alembic_version`: row-level security on, no grants: closed to the API roles (the owner,
  who runs migrations, is not subject to it).

It also adds `rejected` to the webhook inbox's statuses: a signed event Tender can never
parse is stored once with its reason and answered 2xx, instead of being retried by Stripe
for three days (see tender.webhooks.parsing).
"""

from tender.db.script import execute_script

revision = "0002_grants"
down_revision = "0001"
branch_labels = None
depends_on = None

API_ROLES = "anon, authenticated, service_role"
USER_TABLES = (
    "customers",
    "orders",
    "payment_methods",
    "payments",
    "payment_errors",
    "refunds",
    "idempotency_keys",
)
SERVICE_TABLES = ("stripe_events", "kill_switches", "audit_log")
# What service_role may do, per table and command. Users get SELECT on USER_TABLES only.
SERVICE_GRANTS = {
    "customers": "SELECT, INSERT, UPDATE (stripe_customer_id)",  # heal a customer Stripe lost
    "orders": "SELECT, INSERT, UPDATE",
    "payment_methods": "SELECT, INSERT, UPDATE",
    "payments": "SELECT, INSERT, UPDATE",
    "payment_errors": "SELECT, INSERT",
    "refunds": "SELECT, INSERT, UPDATE",
    "idempotency_keys": "SELECT, INSERT, UPDATE",
    "stripe_events": "SELECT, INSERT, UPDATE",
    "kill_switches": "SELECT, INSERT, UPDATE",
    "audit_log": "SELECT, INSERT",
}
OWNED_MARK = "created by tender 0001"  # auth.uid() is Tender's only when 0001 made it

# Sequences owned by Tender's tables (identity and serial columns).
_SEQUENCES = """
DO $$
DECLARE s regclass;
BEGIN
  FOR s IN
    SELECT DISTINCT d.objid::regclass FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND c.relkind = 'S' AND d.refobjid = ANY(ARRAY[{tables}]::regclass[])
  LOOP
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC, {roles}', s);
  END LOOP;
END $$;
"""

_AUTH_UID = f"""
DO $$
BEGIN
  IF obj_description('auth.uid()'::regprocedure, 'pg_proc') = '{OWNED_MARK}' THEN
    REVOKE ALL ON FUNCTION auth.uid() FROM PUBLIC, {API_ROLES};
    GRANT EXECUTE ON FUNCTION auth.uid() TO {API_ROLES};
  END IF;
END $$;
"""


def _quoted(tables: tuple[str, ...]) -> str:
    return ", ".join(f"'public.{t}'" for t in tables)


def _upgrade_sql() -> str:
    every = (*USER_TABLES, *SERVICE_TABLES)
    parts = [
        f"REVOKE ALL ON {', '.join(every)} FROM PUBLIC, {API_ROLES};",
        _SEQUENCES.format(tables=_quoted(every), roles=API_ROLES),
        f"REVOKE ALL ON FUNCTION payments_guard_transition() FROM PUBLIC, {API_ROLES};",
        _AUTH_UID,
        "ALTER TABLE alembic_version ENABLE ROW LEVEL SECURITY;",
        f"REVOKE ALL ON alembic_version FROM PUBLIC, {API_ROLES};",
    ]
    for table in USER_TABLES:
        parts.append(f"""
DROP POLICY IF EXISTS {table}_owner ON {table};
CREATE POLICY {table}_owner ON {table} FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
GRANT SELECT ON {table} TO authenticated;""")
    for table, commands in SERVICE_GRANTS.items():
        parts.append(f"GRANT {commands} ON {table} TO service_role;")
    parts.append("""
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_status_check;
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_status_check CHECK (status IN
  ('pending', 'processed', 'ignored', 'failed', 'rejected'));""")
    return "\n".join(parts)


def _downgrade_sql() -> str:
    """Back to exactly what 0001 granted."""
    every = (*USER_TABLES, *SERVICE_TABLES)
    parts = [
        "UPDATE stripe_events SET status = 'ignored' WHERE status = 'rejected';",
        "ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_status_check;",
        """ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_status_check CHECK (status IN
  ('pending', 'processed', 'ignored', 'failed'));""",
        f"REVOKE ALL ON {', '.join(every)} FROM {API_ROLES};",
        "ALTER TABLE alembic_version DISABLE ROW LEVEL SECURITY;",
        "GRANT EXECUTE ON FUNCTION payments_guard_transition() TO PUBLIC;",
    ]
    for table in USER_TABLES:
        parts.append(f"""
DROP POLICY IF EXISTS {table}_owner ON {table};
CREATE POLICY {table}_owner ON {table} FOR ALL TO authenticated
  USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
GRANT SELECT ON {table} TO anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO authenticated, service_role;""")
    parts.append("""
GRANT SELECT, INSERT, UPDATE, DELETE ON stripe_events, kill_switches TO service_role;
GRANT SELECT, INSERT ON audit_log TO service_role;""")
    return "\n".join(parts)


def upgrade() -> None:
    execute_script(_upgrade_sql())


def downgrade() -> None:
    execute_script(_downgrade_sql())

"""Foundation: roles, auth.uid(), payment tables, inbox, kill switches, audit trail, RLS.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Roles and auth.uid() are created only when missing, so this applies to a Supabase database
as well as to a bare PostgreSQL. The roles are cluster-wide and may serve other databases,
so the downgrade leaves them; it drops auth.uid() only if this revision created it.
"""

from tender.db.script import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

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
OWNED_MARK = "created by tender 0001"

ROLES = f"""
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role') THEN
    ALTER ROLE service_role BYPASSRLS;
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

DO $$
BEGIN
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
      SELECT nullif(
        coalesce(
          current_setting('request.jwt.claim.sub', true),
          current_setting('request.jwt.claims', true)::jsonb ->> 'sub'
        ), ''
      )::uuid
    $f$;
    COMMENT ON FUNCTION auth.uid() IS '{OWNED_MARK}';
    GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;
  END IF;
END $$;
"""

TABLES = """
CREATE TABLE customers (
  user_id uuid PRIMARY KEY,
  stripe_customer_id text NOT NULL UNIQUE CHECK (stripe_customer_id LIKE 'cus_%'),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN
    ('pending', 'awaiting_payment', 'paid', 'canceled', 'expired',
     'refunded', 'partially_refunded')),
  amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 99999999),
  currency text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  description text CHECK (length(description) <= 500),
  payment_method_type text CHECK (payment_method_type IN
    ('card', 'cash_on_pickup', 'bank_transfer')),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC);

CREATE TABLE payment_methods (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  type text NOT NULL CHECK (type IN ('card', 'cash_on_pickup', 'bank_transfer')),
  stripe_payment_method_id text UNIQUE CHECK (stripe_payment_method_id LIKE 'pm_%'),
  brand text CHECK (length(brand) <= 32),
  last4 text CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month smallint CHECK (exp_month BETWEEN 1 AND 12),
  exp_year smallint CHECK (exp_year BETWEEN 2000 AND 2200),
  is_default boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'detached')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((type = 'card') = (stripe_payment_method_id IS NOT NULL))
);
CREATE INDEX payment_methods_user_idx ON payment_methods (user_id, created_at DESC);
CREATE UNIQUE INDEX payment_methods_one_default_idx
  ON payment_methods (user_id) WHERE is_default AND status = 'active';
CREATE UNIQUE INDEX payment_methods_one_offline_idx
  ON payment_methods (user_id, type) WHERE type <> 'card';

CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  order_id uuid REFERENCES orders (id),
  payment_method_id uuid REFERENCES payment_methods (id),
  method_type text NOT NULL DEFAULT 'card' CHECK (method_type IN
    ('card', 'cash_on_pickup', 'bank_transfer')),
  amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 99999999),
  amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  currency text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN
    ('pending', 'requires_payment_method', 'requires_confirmation', 'requires_action',
     'processing', 'requires_capture', 'succeeded', 'canceled', 'expired',
     'refunded', 'partially_refunded')),
  stripe_payment_intent_id text UNIQUE CHECK (stripe_payment_intent_id LIKE 'pi_%'),
  stripe_customer_id text,
  client_secret text,
  last_error_code text,
  bank_reference text UNIQUE,
  expires_at timestamptz,
  received_at timestamptz,
  stripe_state_at timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (amount_refunded <= amount),
  CHECK (method_type = 'card' OR stripe_payment_intent_id IS NULL),
  CHECK (method_type <> 'bank_transfer' OR bank_reference IS NOT NULL)
);
CREATE INDEX payments_user_created_idx ON payments (user_id, created_at DESC);
CREATE INDEX payments_created_idx ON payments (created_at);
CREATE INDEX payments_status_created_idx ON payments (status, created_at);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_method_idx ON payments (payment_method_id);
CREATE INDEX payments_offline_expiry_idx ON payments (expires_at)
  WHERE method_type <> 'card' AND status = 'pending';
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
  WHERE status NOT IN ('canceled', 'expired', 'requires_payment_method');

CREATE TABLE payment_errors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  payment_id uuid REFERENCES payments (id),
  error_code text NOT NULL CHECK (length(error_code) BETWEEN 1 AND 64),
  decline_code text,
  message text NOT NULL,
  stripe_request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_errors_created_idx ON payment_errors (created_at, error_code);
CREATE INDEX payment_errors_user_idx ON payment_errors (user_id, created_at DESC);
CREATE INDEX payment_errors_payment_idx ON payment_errors (payment_id);

CREATE TABLE refunds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  payment_id uuid NOT NULL REFERENCES payments (id),
  amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 99999999),
  currency text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN
    ('pending', 'succeeded', 'failed', 'canceled')),
  reason text,
  stripe_refund_id text UNIQUE CHECK (stripe_refund_id LIKE 're_%'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_created_idx ON refunds (created_at);

CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  operation text NOT NULL,
  request_hash text NOT NULL,
  response_status smallint,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE stripe_events (
  id text PRIMARY KEY CHECK (id LIKE 'evt_%'),
  type text NOT NULL,
  api_version text,
  livemode boolean NOT NULL DEFAULT false,
  object_id text,
  stripe_created_at timestamptz NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN
    ('pending', 'processed', 'ignored', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX stripe_events_due_idx ON stripe_events (next_attempt_at)
  WHERE status IN ('pending', 'failed');
CREATE INDEX stripe_events_received_idx ON stripe_events (received_at);
CREATE INDEX stripe_events_object_idx ON stripe_events (object_id, stripe_created_at);

CREATE TABLE kill_switches (
  name text PRIMARY KEY CHECK (name ~ '^[a-z0-9_:]{1,64}$'),
  enabled boolean NOT NULL,
  reason text,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  old_value jsonb,
  new_value jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
"""

STATE_MACHINE = """
CREATE FUNCTION payments_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = OLD.status THEN
    RETURN NEW;
  END IF;
  IF OLD.status IN ('canceled', 'expired', 'refunded')
     OR (OLD.status = 'succeeded' AND NEW.status NOT IN ('refunded', 'partially_refunded'))
     OR (OLD.status = 'partially_refunded' AND NEW.status <> 'refunded') THEN
    RAISE EXCEPTION 'payment % cannot move from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_state_machine';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER payments_state_machine BEFORE UPDATE OF status ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_guard_transition();
"""


def _security() -> str:
    parts: list[str] = []
    for table in USER_TABLES:
        parts.append(f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_owner ON {table} FOR ALL TO authenticated
  USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY {table}_service ON {table} FOR ALL TO service_role USING (true) WITH CHECK (true);
GRANT SELECT ON {table} TO anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO authenticated, service_role;
""")
    for table in SERVICE_TABLES:
        parts.append(f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_service ON {table} FOR ALL TO service_role USING (true) WITH CHECK (true);
""")
    parts.append("""
GRANT SELECT, INSERT, UPDATE, DELETE ON stripe_events, kill_switches TO service_role;
GRANT SELECT, INSERT ON audit_log TO service_role;
""")
    return "\n".join(parts)


def upgrade() -> None:
    execute_script(ROLES)
    execute_script(TABLES)
    execute_script(STATE_MACHINE)
    execute_script(_security())


def downgrade() -> None:
    tables = ", ".join((*SERVICE_TABLES, *reversed(USER_TABLES)))
    execute_script(f"DROP TABLE IF EXISTS {tables} CASCADE")
    execute_script("DROP FUNCTION IF EXISTS payments_guard_transition()")
    execute_script(f"""
DO $$
BEGIN
  IF to_regprocedure('auth.uid()') IS NOT NULL
     AND obj_description('auth.uid()'::regprocedure, 'pg_proc') = '{OWNED_MARK}' THEN
    DROP FUNCTION auth.uid();
  END IF;
END $$;
""")

"""Checkout sessions: short-lived, single-use links to the hosted checkout page.

Revision ID: 0003_checkout_sessions
Revises: 0002_grants
Create Date: 2026-11-26

Only the SHA-256 of a session's token is stored: the link itself is the credential, and a
database read never yields one. Users may read their own sessions; only the service role
writes them (Tender's checks run first). No API role holds TRUNCATE.
"""

from tender.db.script import execute_script

revision = "0003_checkout_sessions"
down_revision = "0002_grants"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE checkout_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  user_id uuid NOT NULL,
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete')),
  payment_id uuid REFERENCES payments (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  completed_at timestamptz,
  CHECK (expires_at > created_at),
  CHECK ((status = 'complete') = (completed_at IS NOT NULL))
);
CREATE INDEX checkout_sessions_order_idx ON checkout_sessions (order_id);
CREATE INDEX checkout_sessions_user_idx ON checkout_sessions (user_id, created_at DESC);

ALTER TABLE checkout_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE checkout_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY checkout_sessions_owner_read ON checkout_sessions FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
CREATE POLICY checkout_sessions_service ON checkout_sessions FOR ALL TO service_role
  USING (true) WITH CHECK (true);

REVOKE ALL ON checkout_sessions FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON checkout_sessions TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON checkout_sessions TO service_role;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script("DROP TABLE IF EXISTS checkout_sessions CASCADE")

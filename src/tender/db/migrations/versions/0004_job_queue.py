"""Job queue: procrastinate's schema (pinned library version) and the shared alert state.

Revision ID: 0004_job_queue
Revises: 0003_checkout_sessions
Create Date: 2026-11-26

The queue's tables, types and functions are procrastinate's own `schema.sql`, read from the
installed package (the lock pins it). A later procrastinate release ships its own migration
files under `procrastinate/sql/migrations`; apply them in a new revision when upgrading.

Privileges: the API enqueues inside its webhook transaction as `service_role`, and workers
connect as the app login with `role=service_role` set at connection start, so everything is
granted to `service_role` only; the login role itself still owns and may read nothing.

`alert_state` remembers which alerts are firing and when they were last notified, so the
periodic alert job (run by whichever worker picks it up) notifies each alert once;
`monitor_windows` holds each process's monitoring window, merged by that job.
"""

from procrastinate.schema import SchemaManager

from tender.db.script import execute_script

revision = "0004_job_queue"
down_revision = "0003_checkout_sessions"
branch_labels = None
depends_on = None

TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
          "procrastinate_workers")  # fmt: skip
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type",
         "procrastinate_job_status")  # fmt: skip

GRANTS = """
GRANT SELECT, INSERT, UPDATE, DELETE ON procrastinate_jobs, procrastinate_events,
  procrastinate_periodic_defers, procrastinate_workers TO service_role;
GRANT USAGE, SELECT ON SEQUENCE procrastinate_jobs_id_seq, procrastinate_events_id_seq,
  procrastinate_periodic_defers_id_seq TO service_role;
"""

ALERT_STATE = """
CREATE TABLE alert_state (
  name text PRIMARY KEY,
  started_at double precision NOT NULL,
  last_sent_at double precision NOT NULL
);
ALTER TABLE alert_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_state FORCE ROW LEVEL SECURITY;
CREATE POLICY alert_state_service ON alert_state FOR ALL TO service_role
  USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_state TO service_role;

CREATE TABLE monitor_windows (
  instance text PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  snapshot jsonb NOT NULL
);
ALTER TABLE monitor_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitor_windows FORCE ROW LEVEL SECURITY;
CREATE POLICY monitor_windows_service ON monitor_windows FOR ALL TO service_role
  USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON monitor_windows TO service_role;
"""


def upgrade() -> None:
    execute_script(SchemaManager.get_schema())
    execute_script(GRANTS)
    execute_script(ALERT_STATE)


def downgrade() -> None:
    execute_script("DROP TABLE IF EXISTS monitor_windows, alert_state")
    execute_script(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    execute_script(f"""
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%' LOOP
    EXECUTE 'DROP FUNCTION ' || f || ' CASCADE';
  END LOOP;
END $$;
DROP TYPE IF EXISTS {", ".join(TYPES)};
""")

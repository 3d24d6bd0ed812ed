"""Database access: engine and pool, per-transaction RLS context, embedded server, migrations."""

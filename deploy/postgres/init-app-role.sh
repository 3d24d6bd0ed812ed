#!/bin/sh
# First start of the compose PostgreSQL: the API roles and tender_app, the login the service
# uses. tender_app owns nothing and bypasses nothing (NOINHERIT: it acts only after switching
# to anon/authenticated/service_role inside a transaction), as `tender serve` provisions it
# on the embedded server. Migrations (run as the owner, POSTGRES_USER) create the tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE ROLE service_role NOLOGIN BYPASSRLS;
SELECT format('CREATE ROLE tender_app LOGIN NOINHERIT PASSWORD %L', :'app_password') \gexec
GRANT anon, authenticated, service_role TO tender_app;
SQL

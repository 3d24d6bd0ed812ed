"""deploy/postgres/init-app-role.sh on a brand-new cluster, as the compose PostgreSQL runs it:
the login it creates serves Tender after migrations, and fails closed without a role switch."""

from __future__ import annotations

import os
import secrets
import subprocess
import warnings
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tender.db import migrate
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.db.urls import with_user
from tender.ops.backup_tools import embedded_bin_dir
from tests.deploy.artifacts import DEPLOY, REPO

APP_PASSWORD = "it's-a:secret"


@pytest.fixture
def new_cluster() -> Iterator[str]:
    """A fresh PostgreSQL cluster of its own (roles are cluster-wide: never the shared one).

    Beside the embedded test cluster in .tender, not in pytest's tmp_path: as root, pgserver
    runs the server as another user, who cannot enter pytest's private (0700) folders.
    """
    pgdata = REPO / ".tender" / f"init-test-{os.getpid()}-{secrets.token_hex(3)}"
    pgdata.parent.mkdir(exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pgserver = pytest.importorskip("pgserver")
        for attempt in range(3):  # pg_ctl's start wait is 10 s; a busy machine can take longer
            try:  # a later attempt attaches to the server the timed-out one started
                server = pgserver.get_server(pgdata, cleanup_mode="delete")
                break
            except subprocess.TimeoutExpired:
                if attempt == 2:
                    raise
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


async def test_init_script_creates_the_app_login_tender_runs_as(new_cluster: str) -> None:
    bin_dir = embedded_bin_dir()
    assert bin_dir is not None
    url = make_url(new_cluster)
    env = {
        **os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PGHOST": str(url.query["host"]),
        "POSTGRES_USER": url.username or "postgres", "POSTGRES_DB": url.database or "postgres",
        "POSTGRES_APP_PASSWORD": APP_PASSWORD,
    }  # fmt: skip
    script = DEPLOY / "postgres" / "init-app-role.sh"
    assert os.access(script, os.X_OK), "the postgres image runs *.sh only when executable"
    out = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    conn = await asyncpg.connect(new_cluster)
    try:
        row = await conn.fetchrow(
            "SELECT rolcanlogin, rolinherit, rolsuper, rolbypassrls, rolpassword IS NOT NULL AS pw"
            " FROM pg_authid WHERE rolname = 'tender_app'"
        )
        assert dict(row) == {"rolcanlogin": True, "rolinherit": False, "rolsuper": False,
                             "rolbypassrls": False, "pw": True}  # fmt: skip
        members = await conn.fetch(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " WHERE m.member = 'tender_app'::regrole ORDER BY 1"
        )
        assert [m["rolname"] for m in members] == ["anon", "authenticated", "service_role"]
    finally:
        await conn.close()
    assert await migrate.upgrade(new_cluster) == migrate.head_revision()
    db = Database(with_user(new_cluster, "tender_app"), pool_size=1, max_overflow=0)
    try:
        async with db.transaction(DbContext.service("init-test")) as tx:
            assert (await tx.execute(text("SELECT count(*) FROM payments"))).scalar_one() == 0
        with pytest.raises(Exception, match="permission denied"):
            async with db.engine.connect() as bare:
                await bare.execute(text("SELECT count(*) FROM payments"))
    finally:
        await db.dispose()

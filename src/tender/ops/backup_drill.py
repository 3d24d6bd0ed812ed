"""`tender backup drill`: prove the latest backup restores, on a scratch database.

The drill restores the newest backup into a new database on the same server, then checks
what a restore must give back: the bytes (SHA-256), the migration revision, every table's row
count, row-level security still enabled and forced, the seed's monitoring queries answering
exactly as they did at backup time (run as `service_role`, so the grants and policies are
exercised), and a stranger (`authenticated` with an unknown user id) seeing no rows at all.
The scratch database is dropped whatever the outcome.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from sqlalchemy import text

from tender.db import provision
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.db.urls import with_database
from tender.ops.backup import (
    Backup,
    alembic_revision,
    count_rows,
    forced_rls_tables,
    latest_backup,
    row_counts,
    seed_queries,
    verify_checksum,
)
from tender.ops.backup_restore import restore_backup
from tender.ops.backup_tools import BackupError

READABLE_BY_USERS = text("""
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND c.relforcerowsecurity AND has_table_privilege('authenticated', c.oid, 'SELECT')
ORDER BY c.relname
""")


@dataclass(frozen=True)
class DrillCheck:
    name: str
    ok: bool
    detail: str


@dataclass
class DrillReport:
    backup: str | None = None
    checks: list[DrillCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(DrillCheck(name, ok, detail))
        return ok


def _differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    names = sorted(set(expected) | set(actual))
    return [
        f"{n}: {expected.get(n, 'absent')} -> {actual.get(n, 'absent')}"
        for n in names
        if expected.get(n) != actual.get(n)
    ]


async def verify_restored(url: str, backup: Backup, report: DrillReport) -> None:
    """Compare the database at `url` (an owner login) with the backup's manifest."""
    expected = backup.manifest
    db = Database(url, pool_size=1, max_overflow=1)
    try:
        async with db.engine.connect() as conn:
            revision = await alembic_revision(conn)
            counts, forced = await row_counts(conn), await forced_rls_tables(conn)
            user_tables = list((await conn.execute(READABLE_BY_USERS)).scalars().all())
        report.add(
            "migration revision", revision == expected.alembic_revision,
            f"{revision or 'base'} (backup: {expected.alembic_revision or 'base'})",
        )  # fmt: skip
        diffs = _differences(expected.row_counts, counts)
        total = sum(counts.values())
        report.add("row counts", not diffs, "; ".join(diffs) or f"{total} rows in "
                   f"{len(counts)} tables, as in the manifest")  # fmt: skip
        lost = sorted(set(expected.forced_rls_tables) - set(forced))
        report.add("row level security", not lost, f"not forced any more: {', '.join(lost)}"
                   if lost else f"enabled and forced on {len(forced)} tables")  # fmt: skip
        async with db.transaction(DbContext.service("backup-drill")) as conn:
            answers = await seed_queries(conn)
        changed = [n for n in expected.seed_queries if answers.get(n) != expected.seed_queries[n]]
        report.add("seed queries", not changed, f"differ: {', '.join(changed)}" if changed
                   else f"{len(answers)} queries answer as at backup time")  # fmt: skip
        seen: dict[str, int] = {}
        async with db.transaction(DbContext.user(uuid4())) as conn:
            for name in user_tables:
                seen[name] = await count_rows(conn, name)
        leaks = {n: c for n, c in seen.items() if c}
        hidden = sum(counts.get(n, 0) for n in user_tables)
        detail = f"a stranger sees 0 of {hidden} user rows in {len(user_tables)} tables"
        report.add("rls enforced", not leaks, f"a stranger sees rows: {leaks}" if leaks else detail)
    finally:
        await db.dispose()


async def run_drill(folder: Path, server_url: str) -> DrillReport:
    """Restore the newest backup in `folder` beside the database at `server_url`, check it."""
    report = DrillReport()
    backup = await asyncio.to_thread(latest_backup, folder)
    if not report.add("backup found", backup is not None, f"latest in {folder}"):
        return report
    assert backup is not None
    report.backup = backup.dump.name
    try:
        await asyncio.to_thread(verify_checksum, backup)
        report.add("checksum", True, f"SHA-256 {backup.manifest.sha256[:16]}... matches")
    except BackupError as exc:
        report.add("checksum", False, exc.message)
        return report
    scratch = f"tender_drill_{secrets.token_hex(4)}"
    scratch_url = with_database(server_url, scratch)
    await provision.ensure_database(server_url, scratch)
    try:
        await restore_backup(backup.dump, scratch_url, backup=backup)
        report.add("restore", True, f"into scratch database {scratch}")
        await verify_restored(scratch_url, backup, report)
    except BackupError as exc:
        report.add("restore", False, exc.message)
    finally:
        await provision.drop_database(server_url, scratch)
    return report

"""`tender backup`: a consistent pg_dump of Tender's database, a SHA-256 and a manifest.

The manifest's facts and the dump come from one snapshot: a REPEATABLE READ transaction
exports its snapshot, counts every table and runs the seed's monitoring queries in it, and
pg_dump reads the very same snapshot (`--snapshot`). So a restore must give back exactly the
manifest's row counts and query answers, whatever was written while the dump ran.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from tender.db.urls import to_asyncpg
from tender.monitoring.reports import SECTIONS, json_safe
from tender.ops.backup_tools import BackupError, find_tool, invocation, run_tool

# The seed's queries are run over all time, so the answers before and after compare exactly.
ALL_TIME = datetime(1970, 1, 1, tzinfo=UTC)
SUFFIX = ".dump"
CHUNK = 1 << 20

TABLES = text("""
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname
""")
FORCED_RLS = text("""
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND c.relrowsecurity AND c.relforcerowsecurity
ORDER BY c.relname
""")
DUMPED_TABLES = text("""
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
""")
CAN_READ_ALL = text("""
SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user
""")


class BackupManifest(BaseModel):
    """What a backup holds, written beside the dump as `<name>.json`."""

    file: str
    sha256: str
    size_bytes: int
    created_at: datetime
    tender_version: str
    server_version: str
    alembic_revision: str | None
    row_counts: dict[str, int]
    forced_rls_tables: list[str]
    seed_queries: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Backup:
    dump: Path
    manifest_path: Path
    manifest: BackupManifest


class DumpProgress(Protocol):
    def start(self, tables: int) -> None: ...
    def table(self, name: str) -> None: ...


class _Silent:
    def start(self, tables: int) -> None:
        return None

    def table(self, name: str) -> None:
        return None


def tender_version() -> str:
    try:
        return version("tender")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def scalar(conn: AsyncConnection, query: Any) -> Any:
    return (await conn.execute(query)).scalar()


async def count_rows(conn: AsyncConnection, table: str) -> int:
    """Rows of `public.<table>` this transaction may see; the name comes from the catalog."""
    quoted = '"' + table.replace('"', '""') + '"'
    return int(await scalar(conn, text(f"SELECT count(*) FROM public.{quoted}")))  # noqa: S608


async def row_counts(conn: AsyncConnection) -> dict[str, int]:
    """Exact rows per table in `public` (run by a login that bypasses RLS)."""
    names = (await conn.execute(TABLES)).scalars().all()
    return {name: await count_rows(conn, name) for name in names}


async def forced_rls_tables(conn: AsyncConnection) -> list[str]:
    return list((await conn.execute(FORCED_RLS)).scalars().all())


async def seed_queries(conn: AsyncConnection) -> dict[str, list[dict[str, Any]]]:
    """The monitoring report queries over all time, as JSON-safe rows (JSON round trip)."""
    answers = {name: await query(conn, ALL_TIME) for name, (query, *_) in SECTIONS.items()}
    normal: dict[str, list[dict[str, Any]]] = json.loads(json.dumps(json_safe(answers)))
    return normal


async def alembic_revision(conn: AsyncConnection) -> str | None:
    if await scalar(conn, text("SELECT to_regclass('public.alembic_version')")) is None:
        return None
    value = await scalar(conn, text("SELECT version_num FROM alembic_version LIMIT 1"))
    return None if value is None else str(value)


@asynccontextmanager
async def snapshot(url: str) -> AsyncIterator[tuple[AsyncConnection, str]]:
    """A REPEATABLE READ transaction and the id of its exported snapshot, held while used."""
    engine = create_async_engine(to_asyncpg(url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                snap = str(await scalar(conn, text("SELECT pg_export_snapshot()")))
                yield conn, snap
    finally:
        await engine.dispose()


def backup_name(at: datetime) -> str:
    return f"tender-{at.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}"


def private_file(path: Path, content: str = "") -> None:
    """Create (or truncate) `path` readable by its owner only: backups hold payment data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, 0o600)


def write_manifest(path: Path, manifest: BackupManifest) -> None:
    partial = path.with_suffix(".json.partial")
    private_file(partial, manifest.model_dump_json(indent=2) + "\n")
    partial.replace(path)


async def create_backup(url: str, folder: Path, progress: DumpProgress | None = None) -> Backup:
    """Dump the database at `url` (an owner login that bypasses RLS) into `folder`."""
    progress = progress or _Silent()
    await asyncio.to_thread(folder.mkdir, mode=0o700, parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = backup_name(created)
    dump, partial = folder / f"{name}{SUFFIX}", folder / f"{name}{SUFFIX}.partial"
    async with snapshot(url) as (conn, snap):
        if not await scalar(conn, CAN_READ_ALL):
            raise BackupError(
                "the backup login must be a superuser or have BYPASSRLS (FORCE ROW LEVEL "
                "SECURITY hides rows from the owner): set DATABASE_MIGRATION_URL to such a login"
            )
        server_major = int(await scalar(conn, text("SHOW server_version_num"))) // 10000
        pg_dump = await find_tool("pg_dump", server_major)
        counts, forced = await row_counts(conn), await forced_rls_tables(conn)
        answers, revision = await seed_queries(conn), await alembic_revision(conn)
        server_version = str(await scalar(conn, text("SHOW server_version")))
        progress.start(int(await scalar(conn, DUMPED_TABLES)))

        def on_line(line: str) -> None:
            if "dumping contents of table" in line:
                progress.table(line.rsplit(" ", 1)[-1].strip('"'))

        await asyncio.to_thread(private_file, partial)  # pg_dump keeps its mode
        async with invocation(url) as call:
            argv = [
                str(pg_dump), "--format=custom", "--verbose", "--no-password",
                f"--snapshot={snap}", f"--file={partial}", f"--dbname={call.dbname}",
            ]  # fmt: skip
            try:
                await run_tool(argv, call.env, on_line)
            except BackupError:
                await asyncio.to_thread(partial.unlink, missing_ok=True)
                raise
    await asyncio.to_thread(partial.replace, dump)
    digest = await asyncio.to_thread(sha256_of, dump)
    manifest = BackupManifest(
        file=dump.name, sha256=digest, size_bytes=dump.stat().st_size, created_at=created,
        tender_version=tender_version(), server_version=server_version,
        alembic_revision=revision, row_counts=counts, forced_rls_tables=forced,
        seed_queries=answers,
    )  # fmt: skip
    manifest_path = folder / f"{name}.json"
    checksum = folder / f"{dump.name}.sha256"
    await asyncio.to_thread(private_file, checksum, f"{digest}  {dump.name}\n")
    await asyncio.to_thread(write_manifest, manifest_path, manifest)  # last: marks it complete
    return Backup(dump, manifest_path, manifest)


def read_manifest(path: Path) -> BackupManifest:
    try:
        return BackupManifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path.name} is not a readable backup manifest") from exc


def list_backups(folder: Path) -> list[Backup]:
    """Complete backups in `folder` (manifest and dump both present), oldest first."""
    if not folder.is_dir():
        return []
    found: list[Backup] = []
    for path in folder.glob("tender-*.json"):
        try:
            manifest = read_manifest(path)
        except BackupError:
            continue
        dump = folder / manifest.file
        if dump.is_file():
            found.append(Backup(dump, path, manifest))
    return sorted(found, key=lambda b: b.manifest.created_at)


def latest_backup(folder: Path) -> Backup | None:
    backups = list_backups(folder)
    return backups[-1] if backups else None


def verify_checksum(backup: Backup) -> None:
    """Refuse a dump whose bytes are not the ones the manifest names."""
    actual = sha256_of(backup.dump)
    if actual != backup.manifest.sha256:
        raise BackupError(
            f"{backup.dump.name}: SHA-256 {actual[:12]}... differs from the manifest's "
            f"{backup.manifest.sha256[:12]}...: the file is damaged or not this backup"
        )


def manifest_for(dump: Path) -> Backup | None:
    """The backup a dump file belongs to, when its manifest sits beside it."""
    path = dump.with_name(dump.name.removesuffix(SUFFIX) + ".json")
    if not path.is_file():
        return None
    manifest = read_manifest(path)
    return Backup(dump, path, manifest) if manifest.file == dump.name else None

"""SQL migrations: applied in order, recorded, idempotent, and safe when several processes start at once."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# One advisory lock for the whole migration run: a second process waits, then finds nothing to do.
_LOCK_KEY = 0x4C45444745520001

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"

# Before the first release the schema's first eleven migrations (0001_ledger ... 0011) were
# replaced by one baseline, 0001_baseline: a database migrated with them (a developer's
# .ledger-data from before) is refused with this, since the baseline cannot be applied over them.
_RECREATE = (
    "Either a newer build migrated it (run that build), or it was created before the schema's migrations "
    "were replaced by 0001_baseline, and cannot be migrated in place. Recreate it: with the embedded "
    "database, stop the service and delete its data directory (LEDGER_DATA_DIR, default .ledger-data; its "
    "incidents and demo key go with it, and `crisis-ledger serve` creates a new one); with your own server, "
    "drop and create the database, then run `crisis-ledger migrate`."
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def file(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


class MigrationError(RuntimeError):
    pass


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `directory`, in order; refused unless numbered 1, 2, 3, ... with no gap
    and no number twice (a gap or a twin is a merge gone wrong, not something to apply around)."""
    found = []
    for path in directory.glob("*.sql"):
        number, _, name = path.stem.partition("_")
        if not number.isdigit() or not name:
            raise MigrationError(f"migration file {path.name} in {directory} is not named NNNN_name.sql")
        found.append(Migration(int(number), name, path.read_text()))
    found.sort(key=lambda m: (m.version, m.name))
    for before, after in itertools.pairwise(found):
        if after.version == before.version:
            raise MigrationError(
                f"two migrations numbered {after.version:04d} in {directory}: {before.file}, {after.file}"
            )
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {expected:04d} is missing in {directory}: the next one there is {migration.file} "
                "(migrations are numbered 0001, 0002, ... without gaps)"
            )
    return found


def _refuse_unknown(recorded: dict[int, tuple[str, str]], known: list[Migration]) -> None:
    """A database that records a migration this build does not have (another name under a known
    number counts too) has a schema this build cannot reason about: refuse it, say what to do."""
    names = {m.version: m.name for m in known}
    unknown = [f"{v:04d}_{name}" for v, (name, _) in sorted(recorded.items()) if names.get(v) != name]
    if unknown:
        raise MigrationError(
            f"the database records migrations this build does not have: {', '.join(unknown)}. " + _RECREATE
        )


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    known = available(directory)
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(CREATE_TABLE)
        done = {r["version"]: (r["name"], r["checksum"]) for r in await conn.fetch(SELECT_APPLIED)}
        _refuse_unknown(done, known)
        for migration in known:
            if migration.version in done:
                if done[migration.version][1] != migration.checksum:
                    raise MigrationError(f"migration {migration.file} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(RECORD, migration.version, migration.name, migration.checksum)
            applied_now.append(f"{migration.version:04d}_{migration.name}")
            log.info("migration_applied", version=migration.version, name=migration.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def is_current(conn: asyncpg.Connection) -> bool:
    """True when the database records exactly the migrations this build has (what /readyz asks)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return False
    done = {r["version"]: (r["name"], r["checksum"]) for r in await conn.fetch(SELECT_APPLIED)}
    return done == {m.version: (m.name, m.checksum) for m in available()}

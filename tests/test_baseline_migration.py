"""The baseline migration builds exactly the schema the eleven migrations it replaced built, plus
the changes made to it since (before the first release the baseline is edited in place).

One fresh database is migrated with ledger/store/migrations/ (the baseline), another with the old chain
kept in tests/data/legacy_migrations/, both by the same migrator, and then given each change made
to the baseline since (tests/data/since_legacy/, in order); then their schemas are read from
the catalogs and compared section by section. A few deliberate alterations show that each section
would catch a difference.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ledger.store.migrate import MIGRATIONS_DIR, available, migrate
from tests import pg

LEGACY = Path(__file__).parent / "data" / "legacy_migrations"
SINCE_LEGACY = Path(__file__).parent / "data" / "since_legacy"

# Each section: rows that identify and define one kind of object in the public schema, in an order
# that does not depend on creation order (OIDs differ between the two databases).
CATALOG: dict[str, str] = {
    "relations": """
        SELECT c.relname, c.relkind::text, c.relpersistence::text, c.relrowsecurity, c.relacl::text,
               obj_description(c.oid, 'pg_class')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         ORDER BY 1""",
    "columns": """
        SELECT c.table_name, c.ordinal_position, c.column_name, c.data_type, c.udt_name, c.is_nullable,
               c.column_default, c.is_identity, c.identity_generation, c.is_generated, c.generation_expression,
               c.collation_name, col_description(format('%I', c.table_name)::regclass, c.ordinal_position)
          FROM information_schema.columns c
         WHERE c.table_schema = 'public'
         ORDER BY 1, 2""",
    "constraints": """
        SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid),
               c.condeferrable, c.condeferred, c.convalidated
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = 'public'
         ORDER BY 1, 2""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid),
               regexp_replace(pg_get_functiondef(p.oid), '\\s+', ' ', 'g'), p.proacl::text,
               obj_description(p.oid, 'pg_proc')
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'
         ORDER BY 1, 2""",
    # tgenabled: pg_get_triggerdef does not say whether a trigger is ENABLE ALWAYS ('A').
    "triggers": """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal
         ORDER BY 1, 2""",
    "views": """
        SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'
        UNION ALL
        SELECT matviewname, definition FROM pg_matviews WHERE schemaname = 'public'
         ORDER BY 1""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
          FROM pg_sequences WHERE schemaname = 'public'
         ORDER BY 1""",
    # enums (with their labels in order), domains, ranges and free-standing composite types
    "types": """
        SELECT t.typname, t.typtype::text, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
               (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm', 'c')
           AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
         ORDER BY 1""",
    "policies": "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies"
    " WHERE schemaname = 'public' ORDER BY 1, 2",
    "extensions": "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "schemas": """
        SELECT nspname, nspacl::text FROM pg_namespace
         WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
         ORDER BY 1""",
}


async def schema(conn: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {section: [tuple(r) for r in await conn.fetch(sql)] for section, sql in CATALOG.items()}


def differences(a: dict[str, list[tuple[object, ...]]], b: dict[str, list[tuple[object, ...]]]) -> dict[str, str]:
    """Per section that differs: the rows only in `a` (-) and only in `b` (+)."""
    found = {}
    for section in CATALOG:
        only_a = [r for r in a[section] if r not in b[section]]
        only_b = [r for r in b[section] if r not in a[section]]
        if only_a or only_b or a[section] != b[section]:
            found[section] = "\n".join([*(f"- {r}" for r in only_a), *(f"+ {r}" for r in only_b)]) or "order"
    return found


async def _migrated(server: str, directory: Path) -> str:
    url = await pg.create_empty_database(server, "schema")
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, directory)
    finally:
        await conn.close()
    return url


@pytest.fixture(scope="module")
async def baseline(pg_server: str) -> AsyncIterator[asyncpg.Connection]:
    url = await _migrated(pg_server, MIGRATIONS_DIR)
    conn = await asyncpg.connect(url)
    yield conn
    await conn.close()
    await pg.drop_database(pg_server, url)


@pytest.fixture(scope="module")
async def legacy(pg_server: str) -> AsyncIterator[asyncpg.Connection]:
    url = await _migrated(pg_server, LEGACY)
    conn = await asyncpg.connect(url)
    for change in sorted(SINCE_LEGACY.glob("*.sql")):
        await conn.execute(change.read_text())
    yield conn
    await conn.close()
    await pg.drop_database(pg_server, url)


async def test_the_baseline_builds_the_schema_the_legacy_chain_built(baseline, legacy):
    ours, theirs = await schema(baseline), await schema(legacy)
    # not comparing two empty answers: every table, function and trigger of the ledger is there
    assert {r[0] for r in ours["relations"]} >= {"events", "incidents", "incident_views", "sla_report_rows"}
    assert {r[0] for r in ours["functions"]} == {
        "ledger_append",
        "ledger_refuse_change",
        "ledger_percentiles",
        "ledger_sorted",
    }
    assert len(ours["triggers"]) == 2 and len(ours["sequences"]) == 2
    assert differences(ours, theirs) == {}


async def test_each_recorded_migration_is_one_of_the_directory(baseline, legacy):
    assert [r["name"] for r in await baseline.fetch("SELECT name FROM schema_migrations ORDER BY version")] == [
        "baseline"
    ]
    assert await legacy.fetchval("SELECT count(*) FROM schema_migrations") == len(available(LEGACY)) == 11


async def test_ledger_sorted_takes_the_branch_of_the_server_it_was_migrated_on(baseline):
    """array_sort exists from PostgreSQL 18 on; before, the fallback sorts the unnested values."""
    version = int(await baseline.fetchval("SHOW server_version_num"))
    body = await baseline.fetchval("SELECT prosrc FROM pg_proc WHERE proname = 'ledger_sorted'")
    assert ("array_sort" in body) == (version >= 180000)
    assert await baseline.fetchval("SELECT ledger_sorted(ARRAY[3, 1, 2])") == [1, 2, 3]
    assert await baseline.fetchval("SELECT ledger_sorted('{}'::int[])") == []
    assert await baseline.fetchval("SELECT ledger_sorted(ARRAY[2^40, 7]::bigint[])") == [7, 2**40]


# An alteration per section, each in a transaction rolled back: the comparison must notice it.
ALTERATIONS = {
    "relations": "ALTER TABLE rate_windows SET LOGGED",
    "columns": "ALTER TABLE tenants ALTER COLUMN head_hash SET DEFAULT ''",
    "constraints": "ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check",
    "indexes": "DROP INDEX incident_views_open",
    "functions": "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NULL; END $$",
    "triggers": "ALTER TABLE events ENABLE TRIGGER events_immutable_rows",
    "views": "CREATE VIEW open_incidents AS SELECT id FROM incidents WHERE status = 'open'",
    "sequences": "ALTER TABLE webhook_deliveries ALTER COLUMN seq SET INCREMENT BY 2",
    "types": "CREATE TYPE incident_status AS ENUM ('open', 'resolved')",
}


@pytest.mark.parametrize("section", ALTERATIONS)
async def test_an_altered_schema_is_told_apart(baseline, legacy, section):
    theirs = await schema(legacy)
    tx = baseline.transaction()
    await tx.start()
    try:
        await baseline.execute(ALTERATIONS[section])
        found = differences(await schema(baseline), theirs)
    finally:
        await tx.rollback()
    assert section in found, found
    assert differences(await schema(baseline), theirs) == {}

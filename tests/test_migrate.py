"""The migrator: it refuses a directory with a gap, a number twice or a stray file name, and a
database that records a migration this build does not have (one migrated with the chain the
baseline replaced, or by a newer build) or one changed since it was applied."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ledger.store.migrate import MIGRATIONS_DIR, MigrationError, available, is_current, migrate
from tests import pg

LEGACY = Path(__file__).parent / "data" / "legacy_migrations"


def _directory(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / name).write_text(f"SELECT 1; -- {name}\n")
    return tmp_path


def test_the_build_has_one_baseline_migration():
    assert [(m.version, m.name) for m in available()] == [(1, "baseline")]


def test_numbered_without_gaps_they_come_in_order(tmp_path):
    found = available(_directory(tmp_path, "0002_b.sql", "0001_a.sql", "0003_c.sql"))
    assert [m.file for m in found] == ["0001_a.sql", "0002_b.sql", "0003_c.sql"]


def test_a_gap_is_refused_and_named(tmp_path):
    with pytest.raises(MigrationError, match=r"migration 0003 is missing .*next one there is 0004_c\.sql"):
        available(_directory(tmp_path, "0001_a.sql", "0002_b.sql", "0004_c.sql"))


def test_a_chain_that_does_not_start_at_one_is_refused(tmp_path):
    with pytest.raises(MigrationError, match="migration 0001 is missing"):
        available(_directory(tmp_path, "0002_b.sql"))


def test_a_number_twice_is_refused_with_both_files(tmp_path):
    with pytest.raises(MigrationError, match=r"two migrations numbered 0002 .*0002_b\.sql, 0002_c\.sql"):
        available(_directory(tmp_path, "0001_a.sql", "0002_c.sql", "0002_b.sql", "0003_d.sql"))


def test_one_number_written_two_ways_is_a_number_twice(tmp_path):
    with pytest.raises(MigrationError, match="two migrations numbered 0001"):
        available(_directory(tmp_path, "1_a.sql", "0001_b.sql"))


def test_a_file_not_named_number_underscore_name_is_refused(tmp_path):
    with pytest.raises(MigrationError, match=r"baseline\.sql .*is not named NNNN_name\.sql"):
        available(_directory(tmp_path, "0001_a.sql", "baseline.sql"))


@pytest.fixture
async def empty_database(pg_server: str) -> AsyncIterator[asyncpg.Connection]:
    url = await pg.create_empty_database(pg_server, "mig")
    conn = await asyncpg.connect(url)
    yield conn
    await conn.close()
    await pg.drop_database(pg_server, url)


async def test_a_directory_with_a_gap_touches_no_database(empty_database, tmp_path):
    with pytest.raises(MigrationError, match="0002 is missing"):
        await migrate(empty_database, _directory(tmp_path, "0001_a.sql", "0003_c.sql"))
    assert await empty_database.fetchval("SELECT to_regclass('schema_migrations')") is None


async def test_a_fresh_database_is_migrated_once_and_current(empty_database):
    assert not await is_current(empty_database)
    assert await migrate(empty_database) == ["0001_baseline"]
    assert await migrate(empty_database) == []
    assert await is_current(empty_database)


async def test_a_database_from_the_legacy_chain_is_refused_with_what_to_do(empty_database):
    await migrate(empty_database, LEGACY)
    with pytest.raises(MigrationError) as refused:
        await migrate(empty_database)
    message = str(refused.value)
    # 0001_ledger too: the baseline's number, but not the baseline
    assert "records migrations this build does not have: 0001_ledger, 0002_projections," in message
    assert "0011_report_percentiles." in message and ".ledger-data" in message and "crisis-ledger migrate" in message
    assert await empty_database.fetchval("SELECT count(*) FROM schema_migrations") == 11
    assert not await is_current(empty_database)


async def test_a_database_a_newer_build_migrated_is_refused(empty_database, tmp_path):
    newer = _directory(tmp_path, "0002_later.sql")
    (newer / "0001_baseline.sql").write_text((MIGRATIONS_DIR / "0001_baseline.sql").read_text())
    assert await migrate(empty_database, newer) == ["0001_baseline", "0002_later"]
    with pytest.raises(MigrationError, match=r"does not have: 0002_later\. Either a newer build migrated it"):
        await migrate(empty_database)
    assert not await is_current(empty_database)


async def test_a_migration_changed_after_it_was_applied_is_refused(empty_database, tmp_path):
    await migrate(empty_database, _directory(tmp_path, "0001_a.sql"))
    (tmp_path / "0001_a.sql").write_text("SELECT 2;\n")
    with pytest.raises(MigrationError, match=r"migration 0001_a\.sql changed after it was applied"):
        await migrate(empty_database, tmp_path)


async def test_the_command_refuses_a_legacy_database_with_a_message_not_a_traceback(pg_server):
    url = await pg.create_empty_database(pg_server, "mig")
    try:
        conn = await asyncpg.connect(url)
        await migrate(conn, LEGACY)
        await conn.close()
        env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "warning"}
        command = [sys.executable, "-m", "ledger.cli", "migrate"]
        result = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stderr.startswith("crisis-ledger: the database records migrations this build does not have")
        assert "Traceback" not in result.stderr
    finally:
        await pg.drop_database(pg_server, url)

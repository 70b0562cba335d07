"""The command line: keys, migrations (also two at once), rebuild, OpenAPI."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import asyncpg

from ledger.store.migrate import available
from tests import pg


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "warning"}
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_two_migrations_at_once_apply_each_version_once(pg_server):
    name = "m_" + os.urandom(4).hex()
    url = pg.with_database(pg_server, name)
    conn = await asyncpg.connect(pg_server)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        results = await asyncio.gather(*(asyncio.to_thread(_run, url, "migrate") for _ in range(2)))
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        again = _run(url, "migrate")
        assert again.returncode == 0 and "nothing (up to date)" in again.stderr
        conn = await asyncpg.connect(url)
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
        await conn.close()
        assert versions == [m.version for m in available()]
    finally:
        await pg.drop_database(pg_server, url)


async def test_keys_create_prints_only_the_key_and_revoke_works(database_url, pool):
    created = _run(database_url, "keys", "create", "--tenant", "cli-t", "--name", "bot", "--scope", "write")
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"clk_[A-Za-z0-9_-]{43}\n", created.stdout)
    assert await pool.fetchval("SELECT scope FROM api_keys WHERE tenant_id = 'cli-t' AND name = 'bot'") == "write"
    stored = await pool.fetchval("SELECT key_hash FROM api_keys WHERE tenant_id = 'cli-t'")
    assert created.stdout.strip().encode() not in stored  # only a hash is kept
    dup = _run(database_url, "keys", "create", "--tenant", "cli-t", "--name", "bot", "--scope", "read")
    assert dup.returncode == 2 and dup.stdout == ""
    revoked = _run(database_url, "keys", "revoke", "--tenant", "cli-t", "--name", "bot")
    assert revoked.returncode == 0
    assert await pool.fetchval("SELECT revoked_at IS NOT NULL FROM api_keys WHERE tenant_id = 'cli-t'")
    missing = _run(database_url, "keys", "revoke", "--tenant", "cli-t", "--name", "bot")
    assert missing.returncode == 2


async def test_projections_rebuild_command(database_url):
    result = _run(database_url, "projections", "rebuild")
    assert result.returncode == 0, result.stderr
    assert "rebuilt incident_views" in result.stderr and "rebuilt assignee_spans" in result.stderr
    bad = _run(database_url, "projections", "rebuild", "nonsense")
    assert bad.returncode == 2 and "unknown projection" in bad.stderr

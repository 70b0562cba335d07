"""The benchmark's wait for a quiet service sees the service's statements in PostgreSQL, not only its
workers' CPU: a worker awaiting a long statement (the breach watch's first round after a restart,
over every tenant) is idle while PostgreSQL works for it."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.benchmark.__main__ import service_statements


async def test_a_statement_the_service_runs_is_seen_and_an_idle_service_is_not(
    database_url: str, pool: asyncpg.Pool
) -> None:
    assert await service_statements(pool, seconds=0.2) == 0  # (the pool's own sessions are idle)
    service = await asyncpg.connect(database_url, server_settings={"application_name": "crisis-ledger"})
    other = await asyncpg.connect(database_url, server_settings={"application_name": "someone-else"})
    try:
        running = asyncio.gather(service.execute("SELECT pg_sleep(1.5)"), other.execute("SELECT pg_sleep(1.5)"))
        await asyncio.sleep(0.2)
        assert await service_statements(pool, seconds=0.2) == 1  # the service's, not the other's
        await running
        assert await service_statements(pool, seconds=0.2) == 0
    finally:
        await service.close()
        await other.close()

"""A stopping process closes its pool in bounded time: asyncpg's `Pool.close` waits for every
connection to come back, so one still held (a query on its way, a task whose cancellation was
lost) would hold the process, and the server waiting for it, forever (ledger/store/database.py)."""

from __future__ import annotations

import asyncio

import asyncpg

from ledger.config import Settings
from ledger.store.database import close_pool, create_pool, url_of

# A guard against the hang itself, far above the wait given: the test fails instead of hanging.
GUARD_S = 60.0


async def test_a_pool_with_nothing_held_closes_gracefully(database_url):
    pool = await create_pool(database_url, Settings(), min_size=1, max_size=2)
    assert await pool.fetchval("SELECT 1") == 1
    await asyncio.wait_for(close_pool(pool, wait_s=30), GUARD_S)
    assert pool.is_closing()
    assert url_of(pool) is None  # (forgotten with it)


async def test_a_connection_never_given_back_does_not_hold_the_close(database_url):
    pool = await create_pool(database_url, Settings(), min_size=1, max_size=2)
    held = await pool.acquire()  # (never released: the close must not wait for it)
    backend = held.get_server_pid()
    await asyncio.wait_for(close_pool(pool, wait_s=0.5), GUARD_S)
    assert pool.is_closing()
    # Its session is gone from the server (terminated, not waited for).
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(100):
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend):
                break
            await asyncio.sleep(0.05)
        assert await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend) == 0
    finally:
        await conn.close()

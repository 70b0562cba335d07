"""What server processes tell each other through PostgreSQL: session advisory locks (which
process leads the background rounds, which one delivers a subscription's webhooks) and
notifications of new events (`NOTIFY`, heard by ledger/feed/notifier.py)."""

from __future__ import annotations

import asyncpg

TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
NOTIFY = "SELECT pg_notify($1, t) FROM unnest($2::text[]) AS t"
PING = "SELECT 1"


async def try_lock(conn: asyncpg.Connection, key: int, wait_s: float | None = None) -> bool:
    """Take the session advisory lock `key` on `conn` unless another session holds it."""
    return bool(await conn.fetchval(TRY_LOCK, key, timeout=wait_s))


async def unlock(conn: asyncpg.Connection, key: int) -> None:
    await conn.fetchval(UNLOCK, key)


async def notify(pool: asyncpg.Pool, channel: str, messages: list[str]) -> None:
    """Send every message on `channel` in one statement (outside any appending transaction)."""
    await pool.execute(NOTIFY, channel, messages)


async def ping(conn: asyncpg.Connection, wait_s: float) -> None:
    """Fails when the connection is gone (or does not answer within `wait_s`)."""
    await conn.execute(PING, timeout=wait_s)

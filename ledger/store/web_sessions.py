"""The crisis room's sign-in sessions: one row per signed-in browser, found by tenant and id hash.

The rules around them (who may sign in, when a session ends) are in ledger.service.web_sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_SESSION = """
INSERT INTO web_sessions (tenant_id, id_hash, key_hash, key_name, scope, csrf_token, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
FIND_SESSION = """
SELECT key_hash, key_name, scope, csrf_token, expires_at FROM web_sessions
 WHERE tenant_id = $1 AND id_hash = $2 AND expires_at > $3
"""
DELETE_SESSION = "DELETE FROM web_sessions WHERE tenant_id = $1 AND id_hash = $2"
# Housekeeping at each sign-in: the tenant's sessions past their expiry (they are refused anyway).
DELETE_EXPIRED = "DELETE FROM web_sessions WHERE tenant_id = $1 AND expires_at <= $2"


@dataclass(frozen=True)
class SessionRow:
    key_hash: bytes
    key_name: str
    scope: str
    csrf_token: str
    expires_at: datetime


async def insert(
    pool: asyncpg.Pool,
    tenant: str,
    id_hash: bytes,
    key_hash: bytes,
    key_name: str,
    scope: str,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(DELETE_EXPIRED, tenant, now)
        await conn.execute(INSERT_SESSION, tenant, id_hash, key_hash, key_name, scope, csrf_token, expires_at)


async def find(pool: asyncpg.Pool, tenant: str, id_hash: bytes, now: datetime) -> SessionRow | None:
    row = await pool.fetchrow(FIND_SESSION, tenant, id_hash, now)
    if row is None:
        return None
    return SessionRow(bytes(row["key_hash"]), row["key_name"], row["scope"], row["csrf_token"], row["expires_at"])


async def delete(pool: asyncpg.Pool, tenant: str, id_hash: bytes) -> None:
    await pool.execute(DELETE_SESSION, tenant, id_hash)

"""API keys and tenants: keys are random, shown once, stored as sha256, looked up by that hash."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import IntEnum

import asyncpg

from ledger.errors import InvalidValue, NotFound, RateLimited

KEY_PREFIX = "clk_"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,127}$")


class Scope(IntEnum):
    """Ordered: each scope includes the ones below it."""

    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's tenant, name and scope."""

    tenant: str
    name: str
    scope: Scope


CREATE_TENANT = "INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING"
INSERT_KEY = "INSERT INTO api_keys (key_hash, tenant_id, name, scope) VALUES ($1, $2, $3, $4)"
REVOKE_KEY = """
UPDATE api_keys SET revoked_at = now()
 WHERE tenant_id = $1 AND name = $2 AND revoked_at IS NULL
RETURNING key_hash
"""
LOOKUP_KEY = """
SELECT key_hash, tenant_id, name, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
"""
# The key lookup and the rate-limit count in one round trip: a hit is counted only for a live key.
LOOKUP_AND_COUNT = """
WITH k AS (
    SELECT key_hash, tenant_id, name, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
), hit AS (
    INSERT INTO rate_windows (key_hash, window_start, hits)
    SELECT key_hash, date_trunc('minute', now()), 1 FROM k
    ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = rate_windows.hits + 1
    RETURNING hits, 60 - extract(second FROM now())::integer AS retry_after
)
SELECT k.key_hash, k.tenant_id, k.name, k.scope, hit.hits, hit.retry_after FROM k, hit
"""
FORGET_OLD_WINDOWS = "DELETE FROM rate_windows WHERE window_start < now() - interval '10 minutes'"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_key(conn: asyncpg.Connection, tenant: str, name: str, scope: Scope) -> str:
    """Create the tenant if it is new, then a key; return the key (the only time it is visible)."""
    if not TENANT_PATTERN.match(tenant):
        raise InvalidValue(f"tenant must match {TENANT_PATTERN.pattern}")
    if not NAME_PATTERN.match(name):
        raise InvalidValue(f"key name must match {NAME_PATTERN.pattern}")
    token = new_token()
    async with conn.transaction():
        await conn.execute(CREATE_TENANT, tenant)
        try:
            await conn.execute(INSERT_KEY, digest(token), tenant, name, scope.name.lower())
        except asyncpg.UniqueViolationError as exc:
            raise InvalidValue(f"tenant {tenant} already has an active key named {name}") from exc
    return token


async def revoke_key(conn: asyncpg.Connection, tenant: str, name: str) -> int:
    """Revoke the tenant's active key(s) of that name; return how many."""
    rows = await conn.fetch(REVOKE_KEY, tenant, name)
    if not rows:
        raise NotFound(f"tenant {tenant} has no active key named {name}")
    return len(rows)


async def authenticate(pool: asyncpg.Pool, token: str, per_minute: int = 0) -> Principal | None:
    """The principal for a presented key, or None. The stored hash is compared in constant time.

    With `per_minute` > 0 the request is counted against the key's window (shared by all
    processes through the database) and RateLimited is raised past the limit.
    """
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    presented = digest(token)
    row = await pool.fetchrow(LOOKUP_AND_COUNT if per_minute > 0 else LOOKUP_KEY, presented)
    if row is None or not hmac.compare_digest(row["key_hash"], presented):
        return None
    if per_minute > 0 and row["hits"] > per_minute:
        raise RateLimited(
            f"this key is limited to {per_minute} requests per minute", retry_after=max(1, row["retry_after"])
        )
    return Principal(row["tenant_id"], row["name"], Scope[row["scope"].upper()])


async def forget_old_windows(pool: asyncpg.Pool, interval: float = 300.0) -> None:
    """Housekeeping: drop rate-limit windows long past (the table only ever needs the current one)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await pool.execute(FORGET_OLD_WINDOWS)
        except (OSError, asyncpg.PostgresError):
            pass  # the next round will do it

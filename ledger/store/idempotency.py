"""Idempotency keys: a write's key kept with what it did, so that a repeated request is answered
as the first was. Events' writes keep theirs in `ledger_append` (ledger/store/events.py), in the
appending transaction; the shell's side of it: ledger.service.idempotency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from ledger.domain.errors import IdempotencyKeyReused


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: bytes
    status_code: int


@dataclass(frozen=True)
class Replayed:
    """An earlier request with the same Idempotency-Key: its result, nothing appended. A write that
    appended events has their positions; one that appended none (configuration) has its answer."""

    incident_id: uuid.UUID | None
    first_position: int | None
    last_position: int | None
    status_code: int
    response: bytes | None = None


READ_IDEMPOTENCY = """
SELECT request_hash, incident_id, first_position, last_position, status_code, response
  FROM idempotency_keys WHERE tenant_id = $1 AND key = $2
"""

# A write that appends no event keeps its key with its answer, in the write's own transaction.
# A twin request still in flight holds the key's row: this waits for it, and then inserts
# nothing if it committed (the caller answers with the twin's result).
REMEMBER_ANSWER = """
INSERT INTO idempotency_keys (tenant_id, key, request_hash, status_code, response)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING key
"""


async def earlier_request(pool: asyncpg.Pool, tenant: str, idempotency: Idempotency) -> Replayed | None:
    """A finished earlier request with this key, if any; a different request with it is refused."""
    row = await pool.fetchrow(READ_IDEMPOTENCY, tenant, idempotency.key)
    if row is None:
        return None
    if row["request_hash"] != idempotency.request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
    return Replayed(
        row["incident_id"], row["first_position"], row["last_position"], row["status_code"], row["response"]
    )


async def remember_answer(conn: asyncpg.Connection, tenant: str, idempotency: Idempotency, response: bytes) -> None:
    """Keep the answer of a write that appends no event with its key, in the write's transaction
    (`conn`); IdempotencyKeyReused if another request took the key meanwhile (roll back, look again)."""
    kept = await conn.fetchval(
        REMEMBER_ANSWER, tenant, idempotency.key, idempotency.request_hash, idempotency.status_code, response
    )
    if kept is None:
        raise IdempotencyKeyReused("this Idempotency-Key was used by a request that finished meanwhile")

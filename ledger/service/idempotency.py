"""Idempotency-Key, the same for every write (incident commands, signals, policy changes,
configuration): what makes two requests 'the same', and how a repeated one is answered. Where the
keys are kept: ledger.store.idempotency."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from ledger.domain.errors import LedgerError
from ledger.store.idempotency import Idempotency, Replayed, earlier_request

T = TypeVar("T")


def request_hash(method: str, path: str, body: bytes) -> bytes:
    """What makes two requests 'the same' for an Idempotency-Key: method, path and exact body."""
    return hashlib.sha256(f"{method} {path}\n".encode() + body).digest()


async def once(
    pool: asyncpg.Pool,
    tenant: str,
    idempotency: Idempotency | None,
    write: Callable[[], Awaitable[T]],
    replay: Callable[[Replayed], Awaitable[T]],
) -> T:
    """A request whose key was used with the same request is answered by `replay` of the first
    one's result, writing nothing; with another request it is refused (IdempotencyKeyReused).
    `write` records the key with what it writes, atomically."""
    if idempotency is not None:
        earlier = await earlier_request(pool, tenant, idempotency)
        if earlier is not None:
            return await replay(earlier)
    try:
        return await write()
    except LedgerError:
        # A twin request with the same key may have committed between our check and our
        # decision, and its effect now makes the rules refuse ours: answer with its result.
        if idempotency is not None:
            earlier = await earlier_request(pool, tenant, idempotency)
            if earlier is not None:
                return await replay(earlier)
        raise

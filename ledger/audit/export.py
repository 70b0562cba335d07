"""The offline-verifiable export of a tenant's history (its check, with no database and no server:
ledger/audit/export_check.py).

Format (NDJSON, one JSON object per line, `kind` first):
  {"kind": "header", "format": "crisis-ledger-export/1", "tenant", "exported_at", "since", "until",
   "first_position", "last_position", "through", "anchor": {"position", "hash"}, "public_key", "key_id"}
  {"kind": "checkpoint", …}  signed checkpoints, each just before the events from its batch
  {"kind": "event", …}       the events first..last, in position order, as the API returns them + tenant_id
                             (but `actor_verified` as stored: null for events recorded before it)
  {"kind": "link", "position", "recorded_at", "digest", "prev_hash", "hash"}
                             after a window: the chain from last+1 to `through`, without content
  {"kind": "end", "events": n, "links": m, "last_position": through}

The anchor is the first exported event's `prev_hash` (64 zeros from position 1). `through` is the
position of the signed checkpoint the file runs to: the newest one for an export without `until`,
else the first one at or after the window's end; the links let the offline check recompute the
chain from the window to that signed hash, which binds every exported event (and the anchor).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from ledger.audit import checkpoints
from ledger.audit.chain import row_digest
from ledger.store.audit import (
    CHECKPOINTS_IN,
    FIRST_CHECKPOINT_AT_OR_AFTER,
    FIRST_SINCE,
    HASH_AT,
    LAST_BEFORE,
    LATEST_CHECKPOINT,
    PREV_HASH_AT,
    ROWS_IN_RANGE,
)
from ledger.store.keys import head_position
from schemas.events import GENESIS_HASH, rfc3339

FORMAT = "crisis-ledger-export/1"
BATCH = 2000


_encode = msgspec.json.Encoder()


def _line(obj: dict[str, Any]) -> bytes:
    return _encode.encode(obj) + b"\n"


def _event(row: Any) -> dict[str, Any]:
    return {
        "kind": "event",
        "tenant_id": row["tenant_id"],
        "id": str(row["id"]),
        "incident_id": None if row["incident_id"] is None else str(row["incident_id"]),
        "type": row["type"],
        "version": row["version"],
        "position": row["position"],
        "occurred_at": rfc3339(row["occurred_at"]),
        "recorded_at": rfc3339(row["recorded_at"]),
        "actor": row["actor"],
        # As stored, unlike the API's false for NULL: the chain hashes a NULL (an event recorded
        # before personal keys) differently from false.
        "actor_verified": row["actor_verified"],
        "recorded_by": row["recorded_by"],
        "data": msgspec.Raw(row["data"].encode() if isinstance(row["data"], str) else row["data"]),
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


def _link(row: Any, tenant: str) -> dict[str, Any]:
    return {
        "kind": "link",
        "position": row["position"],
        "recorded_at": rfc3339(row["recorded_at"]),
        "digest": row_digest(row, tenant),
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


def _checkpoint(row: Any, tenant: str) -> dict[str, Any]:
    cp = checkpoints.as_dict(row, tenant)
    return {"kind": "checkpoint", **cp, "signed_at": rfc3339(cp["signed_at"])}


async def export(
    pool: asyncpg.Pool, signer: checkpoints.Signer, tenant: str, since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    """The NDJSON lines of the tenant's events recorded in [since, until), batch by batch."""
    try:
        await checkpoints.checkpoint(pool, signer, tenant)  # so that a full export ends at a signed head
    except checkpoints.ChainBroken:
        pass  # exported anyway: the offline check will name the break
    async with pool.acquire() as conn:
        first, last, anchor, through = await _window(conn, tenant, since, until)
    yield _line(
        {
            "kind": "header",
            "format": FORMAT,
            "tenant": tenant,
            "exported_at": rfc3339(datetime.now(UTC)),
            "since": rfc3339(since) if since else None,
            "until": rfc3339(until) if until else None,
            "first_position": first,
            "last_position": last,
            "through": through,
            "anchor": {"position": first - 1, "hash": anchor},
            "public_key": signer.public_key,
            "key_id": signer.key_id,
        }
    )
    async for chunk in _records(pool, tenant, first, last, through):
        yield chunk


async def _window(
    conn: asyncpg.Connection, tenant: str, since: datetime | None, until: datetime | None
) -> tuple[int, int, str, int]:
    """The positions recorded in [since, until) as (first, last), the hash before the first, and
    the position of the signed checkpoint the file runs to (see the module docstring)."""
    head = await head_position(conn, tenant)
    first = 1
    if since is not None:
        found = await conn.fetchval(FIRST_SINCE, tenant, since)
        first = found if found is not None else head + 1
    last = head
    if until is not None:
        found = await conn.fetchval(LAST_BEFORE, tenant, until)
        last = min(head, found if found is not None else 0)
    last = max(last, first - 1)  # an empty window: nothing between its anchor and its end
    if first == 1:
        anchor = GENESIS_HASH
    elif first <= last:
        anchor = await conn.fetchval(PREV_HASH_AT, tenant, first) or ""
    else:
        anchor = await conn.fetchval(HASH_AT, tenant, last) or ""
    if until is None:
        bound = await conn.fetchrow(LATEST_CHECKPOINT, tenant)
    else:
        bound = await conn.fetchrow(FIRST_CHECKPOINT_AT_OR_AFTER, tenant, last)
    through = max(last, bound["position"]) if bound is not None else last
    return first, last, anchor, through


async def _records(pool: asyncpg.Pool, tenant: str, first: int, last: int, through: int) -> AsyncIterator[bytes]:
    """The checkpoint, event and link lines from `first` to `through`, batch by batch, then the end line."""
    events = links = 0
    after = first - 1
    while after < through:
        async with pool.acquire() as conn:
            rows = await conn.fetch(ROWS_IN_RANGE, tenant, after, through, BATCH)
            upto = rows[-1]["position"] if len(rows) == BATCH else through
            cps = await conn.fetch(CHECKPOINTS_IN, tenant, after, upto)
        chunk = [_line(_checkpoint(cp, tenant)) for cp in cps]
        for row in rows:
            if row["position"] <= last:
                chunk.append(_line(_event(row)))
                events += 1
            else:
                chunk.append(_line(_link(row, tenant)))
                links += 1
        yield b"".join(chunk)
        if len(rows) < BATCH:
            break
        after = rows[-1]["position"]
    yield _line({"kind": "end", "events": events, "links": links, "last_position": through})

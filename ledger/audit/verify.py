"""Audit: verify a tenant's history in the database (the export: `ledger.audit.export`; its
offline check: `ledger.audit.export_check`).

Verify reads one snapshot: the tenant's head row, its events in position order batch by batch
(bounded memory), the signed checkpoints of each batch's positions, and then the tables kept
beside the events (the incidents stream table and the stored policies), which must agree with
the events they were written with.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import msgspec

from ledger.audit import checkpoints
from ledger.audit.chain import Broken, Found, Lookup, Walker, feed_rest
from ledger.store.audit import (
    CHECKPOINT_AT,
    CHECKPOINTS_IN,
    EVENT_ID_AT,
    HASH_ELSEWHERE,
    LATEST_CHECKPOINT,
    POLICIES_DIFFER,
    POSITION_OF_HASH,
    SPELLED_IN_RANGE,
    STREAMS_DIFFER,
    TENANT_HEAD,
    WITNESSES,
)
from ledger.store.database import export_snapshot, use_snapshot
from schemas.audit import ChainPosition, ChainProblem, VerifyOut
from schemas.events import GENESIS_HASH

BATCH = 2000
SLICE = 250
_END = 2**62


def chain_problem(broken: Broken | None) -> ChainProblem | None:
    if broken is None:
        return None
    return ChainProblem(position=broken.position, event_id=broken.event_id, kind=broken.kind, detail=broken.detail)


def problem_dict(broken: Broken | None) -> dict[str, Any] | None:
    """`chain_problem` as the offline export check reports it (a dict beside its other findings)."""
    problem = chain_problem(broken)
    return None if problem is None else msgspec.to_builtins(problem)


def _refused(position: int, head_hash: str, problem: Broken) -> VerifyOut:
    return VerifyOut(
        ok=False,
        checked=0,
        head=ChainPosition(position=position, hash=head_hash),
        problem=chain_problem(problem),
        checkpoints_verified=0,
    )


def uuid_or_nil(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.UUID(int=0))


async def verify_tenant(
    pool: asyncpg.Pool,
    tenant: str,
    public_key: str,
    *,
    expect: tuple[int, str] | None = None,
    trusted_keys: frozenset[str] = frozenset(),
    progress: Callable[[int], None] | None = None,
) -> VerifyOut:
    """Recompute the tenant's chain from the stored rows; also check the signed checkpoints and,
    given `expect` = an auditor's kept (position, hash), that today's history extends it.
    `trusted_keys`: earlier public keys whose checkpoints still count (after a key rotation).
    `progress(n)` is told of each n events checked."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        # One snapshot: the head row, the checkpoints and the events are read as of one instant.
        head = await conn.fetchrow(TENANT_HEAD, tenant)
        head_position, head_hash = (head["head_position"], head["head_hash"]) if head else (0, GENESIS_HASH)
        walker = Walker(tenant, _lookup(conn, tenant))
        signed = _Signed(tenant, trusted_keys | {public_key}, walker)
        # The newest checkpoint first: the chain must reach it even if the head row was rewound.
        newest = await conn.fetchrow(LATEST_CHECKPOINT, tenant)
        if newest is not None:
            signed.take(newest)
        if expect is not None:
            refused = await _expected(conn, tenant, expect, walker)
            if refused is not None:
                return _refused(head_position, head_hash, refused)
        problem = await _checked(pool, conn, tenant, walker, head, newest, signed, progress)
    return VerifyOut(
        ok=problem is None,
        checked=walker.checked,
        head=ChainPosition(position=walker.position, hash=walker.head),
        problem=chain_problem(problem),
        checkpoints_verified=signed.verified,
    )


def _lookup(conn: asyncpg.Connection, tenant: str) -> Lookup:
    """The walk's look-up, at a break only: is this hash (or event id) elsewhere in the ledger?"""

    async def lookup(hash_: str, event_id: str) -> Found:
        if await conn.fetchval(HASH_ELSEWHERE, tenant, hash_, uuid_or_nil(event_id)):
            return Found(other_tenant=True)
        return Found(position=await conn.fetchval(POSITION_OF_HASH, tenant, hash_))

    return lookup


class _Signed:
    """The signed checkpoints met so far: each that verifies with one of `keys` becomes an anchor
    the chain must pass through; the first that does not (forged or altered) is remembered."""

    def __init__(self, tenant: str, keys: frozenset[str], walker: Walker) -> None:
        self.tenant = tenant
        self.keys = keys
        self.walker = walker
        self.verified = 0
        self.forged: int | None = None

    def take(self, row: Any) -> None:
        cp = checkpoints.as_dict(row, self.tenant)
        if cp["public_key"] not in self.keys or not checkpoints.signature_ok(cp["public_key"], cp):
            self.forged = cp["position"] if self.forged is None else min(self.forged, cp["position"])
            return
        self.walker.anchors[cp["position"]] = cp["head_hash"]
        self.verified += 1


async def _checked(
    pool: asyncpg.Pool,
    conn: asyncpg.Connection,
    tenant: str,
    walker: Walker,
    head: Any,
    newest: Any,
    signed: _Signed,
    progress: Callable[[int], None] | None,
) -> Broken | None:
    """The chain walked, then held against the head row, then the tables kept beside the events
    (compared meanwhile on a second connection when one is free): the first problem, or None."""
    head_position, head_hash = (head["head_position"], head["head_hash"]) if head else (0, GENESIS_HASH)
    side = await _side_check(pool, conn, tenant, head_position)
    try:
        problem = await _walk(conn, tenant, walker, newest, signed, progress)
        if problem is None and head is None and walker.position > 0:
            detail = "the tenant's row (its chain head) is missing, but it has events"
            problem = Broken(walker.position, None, "missing", detail)
        if problem is None:
            problem = walker.finish(head_position, head_hash)
        if problem is None:
            problem = await side if side is not None else await _derived_tables(conn, tenant, head_position)
    finally:
        if side is not None and not side.done():
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)
    return problem


async def _expected(conn: asyncpg.Connection, tenant: str, expect: tuple[int, str], walker: Walker) -> Broken | None:
    """An auditor's kept (position, hash): a problem if it contradicts what is stored, else an
    anchor the chain must pass through."""
    stored = await conn.fetchrow(CHECKPOINT_AT, tenant, expect[0])
    if stored is not None and stored["head_hash"] != expect[1]:
        return Broken(expect[0], None, "changed", "the given checkpoint differs from the one stored here")
    if expect[0] == 0 and expect[1] != GENESIS_HASH:
        return Broken(0, None, "changed", "position 0 is the genesis hash (64 zeros)")
    if expect[0] > 0:
        walker.anchors[expect[0]] = expect[1]
    return None


async def _side_check(
    pool: asyncpg.Pool, conn: asyncpg.Connection, tenant: str, head_position: int
) -> asyncio.Task[Broken | None] | None:
    """The tables kept beside the events, compared on a second connection in `conn`'s snapshot
    while `conn` walks the chain (the database aggregates, Python hashes). Only an idle
    connection is taken: waiting for one while holding `conn` could deadlock a busy pool; without
    one (None) the comparison runs on `conn` after the walk."""
    try:
        spare = await pool.acquire(timeout=0.05)
    except TimeoutError:
        return None
    snapshot = await export_snapshot(conn)
    return asyncio.create_task(_derived_in(pool, spare, snapshot, tenant, head_position))


async def _walk(
    conn: asyncpg.Connection,
    tenant: str,
    walker: Walker,
    newest: Any,
    signed: _Signed,
    progress: Callable[[int], None] | None = None,
) -> Broken | None:
    """Feed the events batch by batch, each batch's checkpoints first; the first problem or None.
    Rows go through the walker's fast path; from the first row it does not accept, the rest of
    the batch is read again with the ordinary columns and fed one by one (same snapshot). The
    next batch is asked for before this one is hashed, so PostgreSQL reads it meanwhile."""
    rows = await conn.fetch(SPELLED_IN_RANGE, tenant, 0, _END, BATCH)
    after = 0
    while walker.broken is None:
        upto = rows[-1]["position"] if len(rows) == BATCH else _END
        for cp in await conn.fetch(CHECKPOINTS_IN, tenant, after, upto):
            if newest is None or cp["position"] != newest["position"]:
                signed.take(cp)
        ahead: asyncio.Future[list[Any]] | None = None
        try:
            if upto != _END:
                ahead = asyncio.ensure_future(conn.fetch(SPELLED_IN_RANGE, tenant, upto, _END, BATCH))
                await asyncio.sleep(0)  # let it send the query
            # Events up to a forged checkpoint are still checked: an earlier break is named first.
            forged = signed.forged
            batch = [r for r in rows if forged is None or r["position"] < forged]
            accepted = await _take_spelled(walker, batch)
            following = await ahead if ahead is not None else []
        except BaseException:
            # The connection is free again only once the read ahead has ended.
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            raise
        await feed_rest(conn, walker, batch, accepted, after)
        if progress is not None:
            progress(len(batch))
        if ahead is None or len(batch) < len(rows):  # the end, or a forged checkpoint
            break
        rows, after = following, upto
    if walker.broken is None and (forged := signed.forged) is not None:
        return Broken(
            forged,
            None,
            "changed",
            f"the signed checkpoint at position {forged} does not verify with the service's key (forged or altered)",
        )
    return walker.broken


async def _take_spelled(walker: Walker, batch: list[Any]) -> int:
    """`walker.take_spelled` over the batch in slices, letting the event loop run between them: the
    next batch arrives meanwhile (else PostgreSQL stops once the socket's buffer is full)."""
    accepted = 0
    for start in range(0, len(batch), SLICE):
        part = batch[start : start + SLICE]
        taken = walker.take_spelled(part)
        accepted += taken
        if taken < len(part):
            break
        await asyncio.sleep(0)
    return accepted


async def _derived_in(pool: asyncpg.Pool, conn: Any, snapshot: str, tenant: str, head: int) -> Broken | None:
    """`_derived_tables` on `conn` (released after) in the walking transaction's exported snapshot."""
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await use_snapshot(conn, snapshot)
            return await _derived_tables(conn, tenant, head)
    finally:
        await pool.release(conn)


async def _derived_tables(conn: asyncpg.Connection, tenant: str, head: int) -> Broken | None:
    """Tables that saw positions beyond the head, then the stream table and the stored policies."""
    row = await conn.fetchrow(WITNESSES, tenant, head)
    if row is not None:
        detail = f"{row['source']} has seen position {row['seen']}, beyond the last event: the newest events are gone"
        return Broken(head + 1, None, "missing", detail)
    row = await conn.fetchrow(STREAMS_DIFFER, tenant)
    if row is not None:
        incident, at = row["incident_id"], row["at"]
        event_id = await conn.fetchval(EVENT_ID_AT, tenant, at)
        if row["no_row"]:
            return Broken(at, _str(event_id), "missing", f"incident {incident} has events but no stream table row")
        if row["no_events"]:
            return Broken(at, None, "missing", f"incident {incident}'s stream table row has no events (deleted)")
        differs = ", ".join(row["differs"])
        return Broken(at, _str(event_id), "changed", f"incident {incident}'s stream table row differs: {differs}")
    row = await conn.fetchrow(POLICIES_DIFFER, tenant)
    if row is not None:
        at = row["at"]
        event_id = await conn.fetchval(EVENT_ID_AT, tenant, at)
        if row["no_row"]:
            return Broken(at, _str(event_id), "missing", "a policy_changed event has no stored policy row")
        if row["no_event"]:
            return Broken(at, None, "missing", "a stored policy version has no policy_changed event")
        return Broken(at, _str(event_id), "changed", "the stored policy differs from its policy_changed event")
    return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)

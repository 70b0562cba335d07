"""Rebuilding projections: a tenant's read models folded again from its whole streams, in one
transaction, while the service keeps running (`crisis-ledger projections rebuild`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import structlog

from ledger.store.events import FOLD_COLUMNS, StreamEvent, stream_event_from_row
from ledger.store.keys import head_position
from projections.incident_view import Stream
from projections.runner import ENSURE_CHECKPOINTS, LOCK_CHECKPOINTS, SAVE_CHECKPOINTS, Projection, advance

log = structlog.get_logger(__name__)

READ_CHUNK = 5000  # rows per fetch
# A rebuild reads every stream once, whole and in order (the stream index serves it), up to the
# head it read: events are never changed, so any later snapshot reads the same rows.
ALL_STREAMS_UPTO = f"""
SELECT {FOLD_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id IS NOT NULL AND position <= $2 ORDER BY incident_id, version
"""
ALL_TENANTS = "SELECT id FROM tenants ORDER BY id"
EVENTS_IN_LEDGER = "SELECT coalesce(sum(head_position), 0)::bigint FROM tenants"


async def rebuild(pool: asyncpg.Pool, projection: Projection, tenant: str) -> int:
    """Recompute a tenant's rows of one projection from its events, in one transaction."""
    return await rebuild_together(pool, [projection], tenant)


Progress = Callable[[int], None]  # told of each n events folded


async def rebuild_together(
    pool: asyncpg.Pool,
    projections: Sequence[Projection],
    tenant: str,
    streams_per_batch: int = 2000,
    progress: Progress | None = None,
) -> int:
    """Recompute a tenant's rows of several projections in one transaction, reading each stream once.

    Readers keep seeing the old rows until the commit; the incremental runner skips the tenant
    meanwhile (its checkpoint rows are locked), so the service keeps running throughout. Every
    event up to the head read first is in the rows written; one committed after it is applied by
    the catch-up at the end (views are re-folded whole, so applying one twice changes nothing).

    With a second connection free, the streams are read and folded on it while the rows of the
    previous batch are copied in on the first: PostgreSQL reads and writes on its own core while
    Python folds. Without one, reading and writing take turns on the one connection.
    """
    async with pool.acquire() as conn:
        names = sorted(p.name for p in projections)
        await conn.execute(ENSURE_CHECKPOINTS, tenant, names)
        async with conn.transaction():
            await conn.fetch(LOCK_CHECKPOINTS, tenant, names)
            head = await head_position(conn, tenant)
            for projection in projections:
                await projection.prepare(conn, tenant)
            try:
                spare = await pool.acquire(timeout=0.01)
            except TimeoutError:
                spare = None
            try:
                await _pipeline(conn, spare, projections, tenant, head, streams_per_batch, progress)
            finally:
                if spare is not None:
                    await pool.release(spare)
            for projection in projections:
                await projection.finish(conn, tenant)
            # Anything committed since the head was read.
            position = await advance(conn, projections, tenant, head, folds=None)  # (whole streams)
            await conn.execute(SAVE_CHECKPOINTS, tenant, [p.name for p in projections], position)
    return position


async def _pipeline(
    conn: asyncpg.Connection,
    spare: asyncpg.Connection | None,
    projections: Sequence[Projection],
    tenant: str,
    head: int,
    streams_per_batch: int,
    progress: Progress | None = None,
) -> None:
    """Reset the projections on `conn` and fold the streams up to `head` chunk by chunk (a
    producer task, reading on `spare` or on `conn`, meanwhile); write the records of each
    `streams_per_batch` streams on `conn` while the next ones are folded."""
    # One connection serves one operation at a time: with no spare, reads and writes take turns.
    turn: contextlib.AbstractAsyncContextManager[Any] = asyncio.Lock() if spare is None else contextlib.nullcontext()
    ready: asyncio.Queue[list[list[Any]] | None] = asyncio.Queue(maxsize=1)

    async def produce_on_spare(reader: asyncpg.Connection) -> None:
        async with reader.transaction(isolation="repeatable_read", readonly=True):
            await _produce(reader, turn, projections, tenant, head, streams_per_batch, ready, progress)

    producer = asyncio.ensure_future(
        _produce(conn, turn, projections, tenant, head, streams_per_batch, ready, progress)
        if spare is None
        else produce_on_spare(spare)
    )
    try:
        async with turn:
            for projection in projections:
                await projection.reset(conn, tenant)
        while (records := await _next(ready, producer)) is not None:
            async with turn:
                for projection, rows in zip(projections, records, strict=True):
                    await projection.write(conn, tenant, rows)
        await producer  # (raises what it raised)
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(BaseException):
                await producer


async def _produce(
    reader: asyncpg.Connection,
    turn: contextlib.AbstractAsyncContextManager[Any],
    projections: Sequence[Projection],
    tenant: str,
    head: int,
    streams_per_batch: int,
    ready: asyncio.Queue[list[list[Any]] | None],
    progress: Progress | None = None,
) -> None:
    """Read the tenant's streams up to `head` on `reader`, chunk by chunk, and fold them: the
    records of each `streams_per_batch` streams (one list per projection) go to `ready`, then None."""

    async def chunk() -> list[Any]:
        async with turn:
            return await cursor.fetch(READ_CHUNK)

    records: list[list[Any]] = [[] for _ in projections]
    folded = 0
    stream: list[StreamEvent] = []
    async with turn:
        cursor = await reader.cursor(ALL_STREAMS_UPTO, tenant, head)
    rows = await chunk()
    while rows:
        # PostgreSQL reads the next chunk while the streams this one completed are folded
        # (folded chunk by chunk, not batch by batch: else it would wait idle for the batch).
        following = asyncio.ensure_future(chunk())
        await asyncio.sleep(0)  # (lets it send the request)
        try:
            completed, stream = _complete_streams(rows, stream)
            await _fold_into(records, projections, tenant, completed)
            folded += len(completed)
            if progress is not None:
                progress(len(rows))
            if folded >= streams_per_batch:
                await ready.put(records)
                records, folded = [[] for _ in projections], 0
        except BaseException:
            following.cancel()
            with contextlib.suppress(BaseException):
                await following
            raise
        rows = await following
    if stream:  # (the last stream, which no later row completed)
        await _fold_into(records, projections, tenant, [Stream(stream)])
        folded += 1
    if folded:
        await ready.put(records)
    await ready.put(None)


def _complete_streams(rows: Sequence[Any], stream: list[StreamEvent]) -> tuple[list[Stream], list[StreamEvent]]:
    """Rows in stream order continue `stream`: the streams they complete, and the one still open."""
    completed: list[Stream] = []
    for row in rows:
        event = stream_event_from_row(row)
        if stream and event.incident_id != stream[0].incident_id:
            completed.append(Stream(stream))
            stream = []
        stream.append(event)
    return completed, stream


async def _fold_into(
    records: list[list[Any]], projections: Sequence[Projection], tenant: str, streams: Sequence[Stream]
) -> None:
    for projection, out in zip(projections, records, strict=True):
        out.extend(await projection.records(None, tenant, streams))


async def _next(ready: asyncio.Queue[Any], producer: asyncio.Future[None]) -> Any:
    """The next item, or None when the producer ended without one (its error is raised by the caller)."""
    getting = asyncio.ensure_future(ready.get())
    await asyncio.wait([getting, producer], return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    if not ready.empty():
        return ready.get_nowait()
    return None


async def events_in_ledger(pool: asyncpg.Pool) -> int:
    """How many events all tenants have (what a rebuild or a verify of everything goes through)."""
    return int(await pool.fetchval(EVENTS_IN_LEDGER))


async def rebuild_all(
    pool: asyncpg.Pool, projections: dict[str, Projection], names: Sequence[str], progress: Progress | None = None
) -> dict[str, int]:
    """Rebuild `names` for every tenant; `progress(n)` is told of each n events folded."""
    tenants = [r["id"] for r in await pool.fetch(ALL_TENANTS)]
    done = dict.fromkeys(names, 0)
    for tenant in tenants:
        position = await rebuild_together(pool, [projections[name] for name in names], tenant, progress=progress)
        for name in names:
            done[name] += position
    for name in names:
        log.info("projection_rebuilt", projection=name, tenants=len(tenants))
    return done

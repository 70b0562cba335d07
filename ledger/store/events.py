"""The event store: append with optimistic concurrency and idempotency, read streams and the feed.

All SQL is here, as named constants; driver errors become the ledger's own errors here too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
import msgspec
import structlog

from ledger import metrics
from ledger.domain.errors import ActionNotAllowed, IdempotencyKeyReused, NotFound
from schemas.events import (
    DATA_TYPES,
    Event,
    EventData,
    NewEvent,
    body_digest,
    data_dict,
    type_of,
)

_json = msgspec.json.Encoder()
log = structlog.get_logger(__name__)
_DECODERS: Final = {name: msgspec.json.Decoder(cls) for name, cls in DATA_TYPES.items()}

EVENT_COLUMNS = (
    "tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor, "
    "recorded_by, data::text AS data, prev_hash, hash"
)

# What the projections fold: no chain, no recorder. A rebuild reads every event of a tenant, and
# the rows without those seven columns cut its CPU time by about a tenth (measured, A/B).
FOLD_COLUMNS = "id, incident_id, version, type, occurred_at, data::text AS data"

APPEND = "SELECT * FROM ledger_append(" + ", ".join(f"${i}" for i in range(1, 20)) + ")"

# Group commit: several single-event appends of one tenant in one statement, so one round trip
# and one commit. Each row is `ledger_append` exactly as alone (a later row sees what an earlier
# one wrote).
_BATCH_TYPES = (
    "text", "uuid", "integer", "uuid", "text", "timestamptz", "jsonb", "text", "text", "text",
    "text", "bytea", "integer", "text", "text", "text", "text", "text", "timestamptz",
)  # fmt: skip
APPEND_BATCH = f"""
SELECT r.* FROM unnest({", ".join(f"${i}::{t}[]" for i, t in enumerate(_BATCH_TYPES, start=1))})
       WITH ORDINALITY AS a({", ".join(f"c{i}" for i in range(1, 20))}, n)
 CROSS JOIN LATERAL ledger_append(a.c1, a.c2, a.c3, ARRAY[a.c4], ARRAY[a.c5], ARRAY[a.c6], ARRAY[a.c7],
                                  ARRAY[a.c8], {", ".join(f"a.c{i}" for i in range(9, 20))}) AS r
 ORDER BY a.n
"""


def streams_after(columns: str) -> str:
    """SQL: the events of tenant $1's incidents in $2, each one's after the version at the same
    place in $3 (0: all of them), in version order; one index range per incident."""
    return f"""
SELECT x.* FROM unnest($2::uuid[], $3::integer[]) AS t(wanted, after_version)
 CROSS JOIN LATERAL (
    SELECT {columns} FROM events
     WHERE tenant_id = $1 AND incident_id = t.wanted AND version > t.after_version
     ORDER BY version) AS x
"""


READ_STREAM = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id = $2 AND version > $3
 ORDER BY version
 LIMIT $4
"""

READ_FEED = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position > $2
 ORDER BY position
 LIMIT $3
"""

# The feed's next page bounded by bytes as well as by count: the events after position $2, at most
# $3 of them, while their running size stays within $4 (the first one whatever its size). A row's
# size is its data as text plus $5 for the rest of what it renders to (ids, hashes, times, names).
# `scanned`: how many rows the count allowed, so the caller knows whether more are waiting.
READ_FEED_PAGE = f"""
SELECT {EVENT_COLUMNS}, scanned FROM (
    SELECT e.*,
           sum(octet_length(e.data::text) + $5) OVER w AS upto,
           row_number() OVER w AS n,
           count(*) OVER () AS scanned
      FROM (SELECT * FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3) AS e
    WINDOW w AS (ORDER BY e.position ROWS UNBOUNDED PRECEDING)
) AS page
 WHERE upto <= $4 OR n = 1
 ORDER BY position
"""

READ_POSITIONS = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position BETWEEN $2 AND $3
 ORDER BY position
"""

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


def decode_data(event_type: str, raw: bytes | str) -> EventData:
    """An event's data from its JSON, as stored for `event_type`."""
    return _DECODERS[event_type].decode(raw)


def event_from_row(row: asyncpg.Record) -> Event:
    """Decode one `events` row (selected with EVENT_COLUMNS)."""
    return Event(
        id=row["id"],
        tenant_id=row["tenant_id"],
        incident_id=row["incident_id"],
        version=row["version"],
        position=row["position"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        recorded_by=row["recorded_by"],
        data=_DECODERS[row["type"]].decode(row["data"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


# Decoding a long stream (tens of thousands of events) is one long stretch of pure CPU: it hands the
# event loop back every DECODE_SLICE rows, so that other requests (and /healthz) are answered
# meanwhile instead of after it.
DECODE_SLICE = 500


async def decode_rows(rows: list[asyncpg.Record]) -> list[Event]:
    """`event_from_row` of every row, yielding to the event loop between slices of a long list."""
    out: list[Event] = []
    for start in range(0, len(rows), DECODE_SLICE):
        if start:
            await asyncio.sleep(0)
        out.extend(event_from_row(r) for r in rows[start : start + DECODE_SLICE])
    return out


class StreamEvent(msgspec.Struct, frozen=True):
    """An event of an incident's stream as the projections fold it (selected with FOLD_COLUMNS)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    version: int
    occurred_at: datetime
    data: EventData


def stream_event_from_row(row: asyncpg.Record) -> StreamEvent:
    id_, incident_id, version, type_, occurred_at, data = row
    return StreamEvent(id_, incident_id, version, occurred_at, _DECODERS[type_].decode(data))


@dataclass(frozen=True)
class StreamFacts:
    """What the stream table knows of an incident besides its events (kept by ledger_append)."""

    status: str
    severity: str
    scenario: str | None
    channel: str
    dedup_key: str | None
    detected_at: datetime


@dataclass(frozen=True)
class Appended:
    events: list[Event]
    version: int | None
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


class Missed(msgspec.Struct, frozen=True, array_like=True):
    """An event a caller had not seen when it decided: what folding the incident needs of it."""

    version: int
    type: str
    occurred_at: datetime
    data: msgspec.Raw


_missed = msgspec.json.Decoder(list[Missed])


@dataclass(frozen=True)
class Conflict:
    """The stream is no longer at the expected version. `missed`: the stream's events after the
    expected version, oldest first (None when the stream is not ahead of it)."""

    current_version: int
    missed: tuple[tuple[int, datetime, EventData], ...] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DedupHit:
    """An open incident already carries the dedup key."""

    incident_id: uuid.UUID


AppendResult = Appended | Replayed | Conflict | DedupHit


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: bytes
    status_code: int


_Queued = tuple[tuple[Any, ...], asyncio.Future[asyncpg.Record], Callable[[asyncpg.Record], None]]


class GroupCommit:
    """Sends this process's concurrent single-event appends to PostgreSQL together.

    An append joins the process's queue; if no batch is out, one leaves at once (an append alone
    is never delayed); else it goes with the next batch, which leaves as soon as the one out comes
    back. Under load one round trip and one commit carry many appends, of every tenant: round
    trips and commits are what limit appends here, more than the tenants' head rows (one queue per
    tenant sent about five times as many statements and appended about a quarter less). A batch's rows
    are sorted by tenant, each tenant's in the order they came, so every batch in every process
    takes the tenants' head locks in one order: two batches cannot deadlock. Each append's outcome
    is its own: a conflict on one is only that one's. If PostgreSQL refuses a batch (it rolled
    back), its appends are tried again one by one, so that a bad append only fails itself; if the
    outcome is unknown (the connection dropped), all of them get the error and none is sent
    again, as a single append would. An append whose caller gave up before its batch left is not
    sent.
    """

    def __init__(self, pool: asyncpg.Pool, max_batch: int = 100) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._queue: list[_Queued] = []
        self._out = False

    async def append(self, args: tuple[Any, ...], on_row: Callable[[asyncpg.Record], None]) -> asyncpg.Record:
        """`on_row` is called with the append's row as soon as its batch is back, before any caller
        of the batch resumes, and even if this caller has given up meanwhile (the append stands)."""
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._queue.append((args, future, on_row))
        if not self._out:  # nothing is out: this append's batch leaves at once
            self._out = True
            asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        batch: list[_Queued] = []
        try:
            while self._queue:
                taken = [item for item in self._queue[: self.max_batch] if not item[1].done()]
                del self._queue[: self.max_batch]
                batch = sorted(taken, key=lambda item: item[0][0])  # (by tenant; a stable sort)
                if batch:
                    await self._send(batch)
        except BaseException as exc:  # cancelled (shutdown): nobody may be left waiting for an answer
            waiting, self._queue = [*batch, *self._queue], []
            for _, future, _ in waiting:
                if isinstance(exc, Exception):
                    _settle(future, exception=exc)
                else:
                    future.cancel()
            raise
        finally:
            self._out = False

    async def _send(self, batch: list[_Queued]) -> None:
        try:
            if len(batch) == 1:
                rows = [await self.pool.fetchrow(APPEND, *batch[0][0])]
            else:
                rows = await self.pool.fetch(APPEND_BATCH, *_columns([args for args, _, _ in batch]))
        except Exception as exc:
            if len(batch) > 1 and _refused(exc):
                for item in batch:
                    await self._send([item])
                return
            for _, future, _ in batch:  # (outcome unknown, e.g. the connection dropped: never sent twice)
                _settle(future, exception=exc)
            return
        # Every row is handed on before any caller resumes: the batch's commits reach the live
        # feed's followers (and the other processes' notification) one turn of the loop sooner
        # than through each caller, behind the other callers' responses.
        for (_, _, on_row), row in zip(batch, rows, strict=True):
            try:
                on_row(row)
            except Exception:
                log.exception("append_not_announced")  # (followers' polls find it; the append stands)
        for (_, future, _), row in zip(batch, rows, strict=True):
            _settle(future, row)


def _refused(exc: Exception) -> bool:
    """PostgreSQL refused the statement, so its transaction rolled back: nothing of it was written.
    (Not a lost connection or a shutdown: the statement may have committed before the answer.)"""
    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.exceptions.OperatorInterventionError
    )


def _decode_missed(raw: str | None) -> tuple[tuple[int, datetime, EventData], ...] | None:
    if raw is None:
        return None
    return tuple(
        (m.version, m.occurred_at.astimezone(UTC), _DECODERS[m.type].decode(m.data)) for m in _missed.decode(raw)
    )


# ledger_append's per-event arguments (ids, types, occurred, data, digests): one element each here.
_PER_EVENT = frozenset({3, 4, 5, 6, 7})


def _columns(appends: list[tuple[Any, ...]]) -> list[list[Any]]:
    """APPEND_BATCH's arguments: one array per ledger_append argument, one element per append."""
    return [[a[i][0] if i in _PER_EVENT else a[i] for a in appends] for i in range(len(_BATCH_TYPES))]


def _settle(future: asyncio.Future[Any], result: Any = None, exception: BaseException | None = None) -> None:
    if future.done():  # the caller gave up while the batch was out
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


class EventStore:
    """Tenant-scoped reads and writes of events. Every method takes the tenant explicitly."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.group = GroupCommit(pool)
        # Told the tenant and its events after each committed append (see ledger.feed.notifier).
        self.on_append: Callable[[str, list[Event] | None], None] | None = None

    def committed(self, tenant: str, events: list[Event] | None = None) -> None:
        """`events` of `tenant` (None: some events) are committed: tell whoever follows them."""
        if self.on_append is not None:
            self.on_append(tenant, events)

    async def append(
        self,
        tenant: str,
        incident_id: uuid.UUID | None,
        expected_version: int,
        new_events: Sequence[NewEvent],
        *,
        recorded_by: str,
        idempotency: Idempotency | None = None,
        facts: StreamFacts | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> AppendResult:
        """Append `new_events` in one round trip; see `ledger_append` for the outcomes."""
        ids = [uuid.uuid4() for _ in new_events]
        types = [type_of(e.data) for e in new_events]
        datas = [data_dict(e.data) for e in new_events]
        # One actor per append: every command is done by one person or integration.
        actor = new_events[0].actor
        digests = [
            body_digest(
                event_id=ids[i],
                tenant_id=tenant,
                incident_id=incident_id,
                version=None if incident_id is None else expected_version + i + 1,
                event_type=types[i],
                occurred_at=e.occurred_at,
                actor=actor,
                recorded_by=recorded_by,
                data=datas[i],
            )
            for i, e in enumerate(new_events)
        ]
        args = (
            tenant,
            incident_id,
            expected_version,
            ids,
            types,
            [e.occurred_at for e in new_events],
            [_json.encode(d).decode() for d in datas],
            digests,
            actor,
            recorded_by,
            idempotency.key if idempotency else None,
            idempotency.request_hash if idempotency else None,
            idempotency.status_code if idempotency else 201,
            facts.status if facts else None,
            facts.severity if facts else None,
            facts.scenario if facts else None,
            facts.channel if facts else None,
            facts.dedup_key if facts else None,
            facts.detected_at if facts else None,
        )

        def appended(row: asyncpg.Record) -> list[Event]:
            return [
                Event(
                    id=ids[i],
                    tenant_id=tenant,
                    incident_id=incident_id,
                    version=None if incident_id is None else expected_version + i + 1,
                    position=row["first_position"] + i,
                    occurred_at=e.occurred_at.astimezone(UTC),  # as the table gives it back
                    recorded_at=row["recorded_at"],
                    actor=actor,
                    recorded_by=recorded_by,
                    data=e.data,
                    prev_hash=row["prev_hashes"][i],
                    hash=row["hashes"][i],
                )
                for i, e in enumerate(new_events)
            ]

        announced: list[Event] = []

        def announce(row: asyncpg.Record) -> None:
            if row["outcome"] == "appended":
                announced.extend(appended(row))
                self.committed(tenant, announced)

        started = time.perf_counter()
        try:
            if conn is not None:
                row = await conn.fetchrow(APPEND, *args)
            elif len(new_events) == 1 and (facts is None or facts.dedup_key is None):
                # (a dedup key can fail the statement on the unique index: those go alone)
                row = await self.group.append(args, announce)
            else:
                row = await self.pool.fetchrow(APPEND, *args)
                announce(row)
        except asyncpg.UniqueViolationError as exc:
            metrics.append_seconds("refused").observe(time.perf_counter() - started)
            if "incidents_open_dedup" in str(exc):
                raise ActionNotAllowed(
                    "another open incident already carries this dedup_key", field="dedup_key"
                ) from exc
            raise
        assert row is not None
        metrics.append_seconds(row["outcome"]).observe(time.perf_counter() - started)
        match row["outcome"]:
            case "appended":
                for t in types:
                    metrics.events_appended(t).inc()
                # (in a caller's transaction it is not committed yet: the caller says when)
                events = announced or appended(row)
                return Appended(events, row["version"], row["status_code"])
            case "replayed":
                return Replayed(row["incident_id"], row["first_position"], row["last_position"], row["status_code"])
            case "key_reused":
                raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
            case "conflict" | "exists":
                return Conflict(row["version"], _decode_missed(row["missed"]))
            case "dedup":
                return DedupHit(row["incident_id"])
            case "missing":
                raise NotFound(f"incident {incident_id} not found")
            case "no_tenant":
                raise NotFound(f"tenant {tenant} not found")
        raise RuntimeError(f"unexpected append outcome {row['outcome']!r}")  # pragma: no cover

    async def read_stream(
        self,
        tenant: str,
        incident_id: uuid.UUID,
        after: int = 0,
        limit: int = 1_000_000,
        conn: asyncpg.Connection | None = None,
    ) -> list[Event]:
        """The incident's events after version `after`; on `conn` (inside its transaction) if given."""
        rows = await (conn or self.pool).fetch(READ_STREAM, tenant, incident_id, after, limit)
        return await decode_rows(rows)

    async def read_feed(self, tenant: str, after: int, limit: int) -> list[Event]:
        rows = await self.pool.fetch(READ_FEED, tenant, after, limit)
        return [event_from_row(r) for r in rows]

    async def read_feed_page(
        self, tenant: str, after: int, limit: int, max_bytes: int, overhead: int
    ) -> tuple[list[Event], bool]:
        """The feed after `after`: at most `limit` events and, past the first, at most `max_bytes`
        (each event counted as its data's size plus `overhead`); and whether more are waiting."""
        rows = await self.pool.fetch(READ_FEED_PAGE, tenant, after, limit, max_bytes, overhead)
        more = bool(rows) and (rows[0]["scanned"] == limit or rows[0]["scanned"] > len(rows))
        return [event_from_row(r) for r in rows], more

    async def read_positions(self, tenant: str, first: int, last: int) -> list[Event]:
        rows = await self.pool.fetch(READ_POSITIONS, tenant, first, last)
        return [event_from_row(r) for r in rows]

    async def idempotent(self, tenant: str, key: str, request_hash: bytes) -> Replayed | None:
        """A finished earlier request with this key, if any; a different request with it is refused."""
        row = await self.pool.fetchrow(READ_IDEMPOTENCY, tenant, key)
        if row is None:
            return None
        if row["request_hash"] != request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        return Replayed(
            row["incident_id"], row["first_position"], row["last_position"], row["status_code"], row["response"]
        )

    async def remember_answer(
        self, conn: asyncpg.Connection, tenant: str, idempotency: Idempotency, response: bytes
    ) -> None:
        """Keep the answer of a write that appends no event with its key, in the write's transaction
        (`conn`); IdempotencyKeyReused if another request took the key meanwhile (roll back, look again)."""
        kept = await conn.fetchval(
            REMEMBER_ANSWER, tenant, idempotency.key, idempotency.request_hash, idempotency.status_code, response
        )
        if kept is None:
            raise IdempotencyKeyReused("this Idempotency-Key was used by a request that finished meanwhile")

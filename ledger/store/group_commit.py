"""Group commit: this process's concurrent single-event appends sent to PostgreSQL together, in
one statement and one commit, each with its own outcome (ledger/store/events.py makes the calls)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class AppendCall(NamedTuple):
    """The arguments of one `ledger_append`, in its order (the SQL function: the migrations)."""

    tenant: str
    incident_id: uuid.UUID | None
    expected_version: int
    ids: list[uuid.UUID]
    types: list[str]
    occurred_at: list[datetime]
    data: list[str]
    digests: list[str]
    actor: str
    actor_verified: bool
    recorded_by: str
    idempotency_key: str | None
    request_hash: bytes | None
    status_code: int
    status: str | None
    severity: str | None
    scenario: str | None
    channel: str | None
    dedup_key: str | None
    detected_at: datetime | None


# Each argument's SQL type, for a batch's arrays; a batched append carries one event, so its
# per-event arguments are one element each there.
_SQL_TYPES = {
    "tenant": "text", "incident_id": "uuid", "expected_version": "integer", "ids": "uuid", "types": "text",
    "occurred_at": "timestamptz", "data": "jsonb", "digests": "text", "actor": "text",
    "actor_verified": "boolean", "recorded_by": "text",
    "idempotency_key": "text", "request_hash": "bytea", "status_code": "integer", "status": "text",
    "severity": "text", "scenario": "text", "channel": "text", "dedup_key": "text", "detected_at": "timestamptz",
}  # fmt: skip
_PER_EVENT = frozenset({"ids", "types", "occurred_at", "data", "digests"})
assert tuple(_SQL_TYPES) == AppendCall._fields

APPEND = f"SELECT * FROM ledger_append({', '.join(f'${i}' for i in range(1, len(AppendCall._fields) + 1))})"

# Several single-event appends in one statement, so one round trip and one commit. Each row is
# `ledger_append` exactly as alone (a later row sees what an earlier one wrote).
APPEND_BATCH = f"""
SELECT r.* FROM unnest({", ".join(f"${i}::{_SQL_TYPES[name]}[]" for i, name in enumerate(AppendCall._fields, 1))})
       WITH ORDINALITY AS a({", ".join(AppendCall._fields)}, n)
 CROSS JOIN LATERAL ledger_append({
    ", ".join(f"ARRAY[a.{name}]" if name in _PER_EVENT else f"a.{name}" for name in AppendCall._fields)
}) AS r
 ORDER BY a.n
"""


def batch_arguments(calls: list[AppendCall]) -> list[list[Any]]:
    """APPEND_BATCH's arguments: per `ledger_append` argument, one array with an element per call."""
    return [
        [value[0] for value in column] if name in _PER_EVENT else list(column)
        for name, column in zip(AppendCall._fields, zip(*calls, strict=True), strict=True)
    ]


@dataclass(slots=True)
class _Waiting:
    call: AppendCall
    future: asyncio.Future[asyncpg.Record]
    on_row: Callable[[asyncpg.Record], None]


class GroupCommit:
    """Sends this process's concurrent single-event appends to PostgreSQL together.

    An append joins the process's queue; if no batch is out, one leaves at once (an append alone
    is never delayed); else it goes with the next batch, which leaves as soon as the one out comes
    back. Under load one round trip and one commit carry many appends, of every tenant: round
    trips and commits are what limit appends here, more than the tenants' head rows. A batch's
    rows are sorted by tenant, each tenant's in the order they came, so every batch in every
    process takes the tenants' head locks in one order: two batches cannot deadlock. Each
    append's outcome is its own: a conflict on one is only that one's. If PostgreSQL refuses a
    batch (it rolled back), its appends are tried again one by one, so that a bad append only
    fails itself; if the outcome is unknown (the connection dropped), all of them get the error
    and none is sent again, as a single append would. An append whose caller gave up before its
    batch left is not sent.
    """

    def __init__(self, pool: asyncpg.Pool, max_batch: int = 100) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._out = False

    async def append(self, call: AppendCall, on_row: Callable[[asyncpg.Record], None]) -> asyncpg.Record:
        """`on_row` is called with the append's row as soon as its batch is back, before any caller
        of the batch resumes, and even if this caller has given up meanwhile (the append stands)."""
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(call, future, on_row))
        if not self._out:  # nothing is out: this append's batch leaves at once
            self._out = True
            asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._queue:
                taken = [waiting for waiting in self._queue[: self.max_batch] if not waiting.future.done()]
                del self._queue[: self.max_batch]
                batch = sorted(taken, key=lambda waiting: waiting.call.tenant)  # (a stable sort)
                if batch:
                    await self._send(batch)
        except BaseException as exc:  # cancelled (shutdown): nobody may be left waiting for an answer
            waiting, self._queue = [*batch, *self._queue], []
            for item in waiting:
                if isinstance(exc, Exception):
                    _settle(item.future, exception=exc)
                else:
                    item.future.cancel()
            raise
        finally:
            self._out = False

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            if len(batch) == 1:
                rows = [await self.pool.fetchrow(APPEND, *batch[0].call)]
            else:
                rows = await self.pool.fetch(APPEND_BATCH, *batch_arguments([waiting.call for waiting in batch]))
        except Exception as exc:
            if len(batch) > 1 and _refused(exc):
                for waiting in batch:
                    await self._send([waiting])
                return
            for waiting in batch:  # (outcome unknown, e.g. the connection dropped: never sent twice)
                _settle(waiting.future, exception=exc)
            return
        # Every row is handed on before any caller resumes: the batch's commits reach the live
        # feed's followers (and the other processes' notification) one turn of the loop sooner
        # than through each caller, behind the other callers' responses.
        for waiting, row in zip(batch, rows, strict=True):
            try:
                waiting.on_row(row)
            except Exception:
                log.exception("append_not_announced")  # (followers' polls find it; the append stands)
        for waiting, row in zip(batch, rows, strict=True):
            _settle(waiting.future, row)


def _refused(exc: Exception) -> bool:
    """PostgreSQL refused the statement, so its transaction rolled back: nothing of it was written.
    (Not a lost connection or a shutdown: the statement may have committed before the answer.)"""
    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.exceptions.OperatorInterventionError
    )


def _settle(future: asyncio.Future[Any], result: Any = None, exception: BaseException | None = None) -> None:
    if future.done():  # the caller gave up while the batch was out
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)

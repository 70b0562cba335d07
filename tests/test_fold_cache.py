"""The one fold cache: the write side, the incident reads and the runner share it, each part is
kept only over an earlier one, and it is bounded by its estimate of bytes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from ledger.domain import commands as c
from ledger.domain.rules import Incident, Status
from ledger.service.command_runner import Shell
from ledger.service.incident_reads import IncidentReader
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections import coverage, sla
from projections.fold_cache import STATEMENT_BYTES, FoldCache, IncidentFolds, Statements
from projections.incident_view import Folded
from projections.runner import STREAMS_AFTER, catch_up_all, registry
from schemas.api import StatementOut
from schemas.events import Channel, Detected, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant


def _state(incident_id: uuid.UUID, version: int) -> Incident:
    return Incident(
        id=incident_id,
        version=version,
        status=Status.OPEN,
        severity=Severity.SEV2,
        title="t",
        channel=Channel.X,
        scenario=None,
        dedup_key=None,
        policy_version=0,
        detected_at=clock.now(),
    )


def _view(incident_id: uuid.UUID, version: int) -> Folded:
    first = Detected(title="t", severity=Severity.SEV2, channel=Channel.X)
    now = clock.now()
    return Folded(incident_id, version, first, now, sla.INITIAL, coverage.INITIAL, _state(incident_id, version), 0)


def _statements(version: int, *texts: str) -> Statements:
    now = clock.now()
    return Statements(
        version,
        len(texts),
        tuple(_statement(n, text, now) for n, text in enumerate(texts, start=1)),
    )


def _statement(version: int, text: str, now: datetime) -> StatementOut:
    return StatementOut(
        event_id=uuid.uuid4(), version=version, channel="x", text=text, text_sha256="0" * 64, url=None,
        in_reply_to=None, drafted_by=None, approved_by=None, sent_by="a", sent_at=now, recorded_at=now,
        recorded_by="k",
    )  # fmt: skip


def test_each_part_is_kept_only_over_an_earlier_fold() -> None:
    folds, a = FoldCache(), uuid.uuid4()
    folds.keep("t", a, state=_state(a, 3), view=_view(a, 2))
    folds.keep("t", a, state=_state(a, 2), view=_view(a, 4))  # (a slower writer's state; a newer view)
    held = folds.get("t", a)
    assert held is not None and (held.state.version, held.view.version) == (3, 4)  # type: ignore[union-attr]
    assert held.upto() == 0  # (no statements: a read asks the table for its latest ones)
    folds.keep("t", a, statements=_statements(5, "hi"))
    assert folds.get("t", a).upto() == 4  # type: ignore[union-attr]
    folds.drop_state("t", a)  # (the write side missed events: the other folds stay)
    held = folds.get("t", a)
    assert held is not None and held.state is None and held.view is not None and held.upto() == 4
    assert folds.get("u", a) is None  # (another tenant's)


def test_the_bound_is_in_bytes_and_the_least_recently_used_go_first() -> None:
    one = IncidentFolds(state=_state(uuid.uuid4(), 1)).weight()
    folds = FoldCache(max_bytes=3 * one)
    a, b, c_ = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for incident in (a, b, c_):
        folds.keep("t", incident, state=_state(incident, 1))
    assert len(folds) == 3 and folds.bytes == 3 * one
    folds.get("t", a)  # used: b is now the least recent
    d = uuid.uuid4()
    folds.keep("t", d, state=_state(d, 1))
    assert folds.peek("t", b) is None and all(folds.peek("t", i) for i in (a, c_, d))
    # A statement's text counts: one long enough pushes out the others, one too long is not held.
    folds.keep("t", a, statements=_statements(1, "x" * (one - STATEMENT_BYTES)))
    assert folds.peek("t", a) is not None and len(folds) == 2 and folds.bytes <= 3 * one
    folds.keep("t", d, statements=_statements(1, "x" * 3 * one))
    assert folds.peek("t", d) is None and folds.bytes <= 3 * one


def test_the_view_weighs_by_its_events() -> None:
    a = uuid.uuid4()
    assert IncidentFolds(view=_view(a, 100)).weight() > IncidentFolds(view=_view(a, 10)).weight()


async def test_the_write_side_the_reads_and_the_runner_share_one_cache(pool):
    """Each finds the folds the others left: a write then a read in this process folds no state
    again, the runner resumes from the read's fold and the read from the runner's, and a
    command after a read needs no read of the stream."""
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    policies = PolicyStore(pool)
    folds = FoldCache()
    shell = Shell(EventStore(pool), policies, clock.now, folds)
    projections = registry(policies)
    reader = IncidentReader(EventStore(pool), policies, projections, folds)
    iid = uuid.uuid4()
    detected = clock.now() - timedelta(hours=1)
    detect = c.Detect(
        incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X, occurred_at=detected
    )
    await shell.execute(who, detect)
    reply = c.Reply(incident_id=iid, actor="a", channel=Channel.X, text="on it", visibility=Visibility.PUBLIC)
    done = await shell.execute(who, reply)
    written = folds.peek(t.name, iid)
    assert written is not None and written.state is done.incident and written.view is None

    first = await reader.read(t.name, iid, clock.now())
    assert first.incident == done.incident  # (the view fold, the state in it, folded from the table)
    held = folds.peek(t.name, iid)
    assert held is not None and held.view is not None and held.view.version == 2 and held.upto() == 2

    asked: list[list[int]] = []
    recording = _Recording(pool, asked)
    await shell.execute(who, c.Acknowledge(incident_id=iid, actor="a"))
    await catch_up_all(recording, projections, t.name, folds)  # type: ignore[arg-type]
    assert asked == [[2]]  # the runner read only what came after the read's fold
    runners = folds.peek(t.name, iid)
    assert runners is not None and runners.view is not None and runners.view.version == 3

    reads: list[int] = []
    read_stream = reader.store.read_stream

    async def counting(tenant: str, incident_id: uuid.UUID, after: int = 0, **kwargs: Any) -> Any:
        reads.append(after)
        return await read_stream(tenant, incident_id, after, **kwargs)

    reader.store.read_stream = counting  # type: ignore[method-assign]
    second = await reader.read(t.name, iid, clock.now())
    fresh = await IncidentReader(EventStore(pool), policies, projections).read(t.name, iid, clock.now())
    # Only what came after the runner's fold (and no statement since: no statement read either).
    assert reads == [3] and second.blocks == fresh.blocks and second.incident == fresh.incident
    assert second.statements == fresh.statements and second.statements_count == fresh.statements_count == 1
    assert folds.peek(t.name, iid).view is not runners.view  # type: ignore[union-attr]  # (extended, kept)

    other = Shell(EventStore(pool), policies, clock.now, folds)  # (another shell of this process)
    stream_reads: list[uuid.UUID] = []
    other_read = other.store.read_stream

    async def counting_writes(tenant: str, incident_id: uuid.UUID, *args: Any, **kwargs: Any) -> Any:
        stream_reads.append(incident_id)
        return await other_read(tenant, incident_id, *args, **kwargs)

    other.store.read_stream = counting_writes  # type: ignore[method-assign]
    note = await other.execute(who, c.Note(incident_id=iid, actor="a", text="decided on the read's state"))
    assert stream_reads == [] and note.events[0].version == 4


class _Recording:
    """The pool, telling which versions the runner asked the streams after."""

    def __init__(self, pool: Any, asked: list[list[int]]) -> None:
        self._pool, self._asked = pool, asked

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    def acquire(self) -> Any:
        pool, asked = self._pool, self._asked

        class Acquired:
            async def __aenter__(self) -> Any:
                self._cm = pool.acquire()
                return _RecordingConn(await self._cm.__aenter__(), asked)

            async def __aexit__(self, *exc: Any) -> None:
                await self._cm.__aexit__(*exc)

        return Acquired()


class _RecordingConn:
    def __init__(self, conn: Any, asked: list[list[int]]) -> None:
        self._conn, self._asked = conn, asked

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if query == STREAMS_AFTER:
            self._asked.append(list(args[2]))
        return await self._conn.fetch(query, *args, **kwargs)

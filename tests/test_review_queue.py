"""The review queue (ledger/service/review_queue.py): the replies ready in one turn of the loop are
judged back to back, each gets its own judgement or its own error; and the rules use a judgement
made ahead of them only for the severity it was made for."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import asyncpg
import pytest

from ledger.domain import rules
from ledger.domain.commands import Detect, Prejudged, Reply
from ledger.domain.errors import InvalidValue, ReplyFlagged
from ledger.domain.review import Judgement, judge
from ledger.domain.review.quality import TYPICAL_REPLIES
from ledger.service.command_runner import Done, Shell
from ledger.service.review_queue import ReviewQueue
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.api import Finding
from schemas.events import Channel, Replied, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant
from tests.test_rules import ACTOR, DETECTED, INCIDENT, NOW, given

# The queue alone


async def test_judgements_asked_for_in_one_turn_run_back_to_back_each_with_its_own_result() -> None:
    queue = ReviewQueue()
    log: list[str] = []

    def judging(i: int) -> Callable[[], int]:
        def judge_it() -> int:
            log.append(f"judged {i}")
            return i * 10

        return judge_it

    async def caller(i: int) -> int:
        result = await queue.judged(judging(i))
        log.append(f"resumed {i}")
        return result

    assert await asyncio.gather(*(caller(i) for i in range(5))) == [0, 10, 20, 30, 40]
    # (every judgement before any caller resumes: none of their other work in between)
    assert log[:5] == [f"judged {i}" for i in range(5)]
    assert sorted(log[5:]) == [f"resumed {i}" for i in range(5)]


async def test_one_failing_judgement_fails_only_its_own_caller() -> None:
    queue = ReviewQueue()

    def broken() -> int:
        raise RuntimeError("the review broke on this draft")

    results = await asyncio.gather(
        queue.judged(lambda: 1), queue.judged(broken), queue.judged(lambda: 3), return_exceptions=True
    )
    assert results[0] == 1 and results[2] == 3
    assert isinstance(results[1], RuntimeError)
    assert await queue.judged(lambda: 4) == 4  # (and the queue still runs)


async def test_a_batch_is_bounded_and_the_rest_run_in_the_next_turn() -> None:
    queue = ReviewQueue(max_batch=2)
    log: list[str] = []

    async def caller(i: int) -> None:
        await queue.judged(lambda: log.append(f"judged {i}"))
        log.append(f"resumed {i}")

    await asyncio.gather(*(caller(i) for i in range(5)))
    assert sorted(log) == sorted([f"judged {i}" for i in range(5)] + [f"resumed {i}" for i in range(5)])
    assert log[:2] == ["judged 0", "judged 1"]  # (the first two alone: the rest after them, in order)
    assert [entry for entry in log if entry.startswith("judged")] == [f"judged {i}" for i in range(5)]
    assert log.index("resumed 0") < log.index("judged 4")


async def test_a_caller_that_gave_up_is_not_judged() -> None:
    queue = ReviewQueue()
    judged: list[int] = []
    gone = asyncio.ensure_future(queue.judged(lambda: judged.append(1)))
    await asyncio.sleep(0)  # (its judgement is asked for; the run is not yet)
    gone.cancel()
    await queue.judged(lambda: judged.append(2))
    assert judged == [2]


# The rules and a judgement made ahead

_FLAGGED = Judgement(
    verdict="flagged",
    language="en",
    findings=[Finding(kind="dismissive", level="problem", start=0, end=5, excerpt="calm", message="m")],
)
DETECTED_SEV2 = rules.fold(given(DETECTED))  # (the rules tests' recorded detection: sev2)


def _reply(prejudged: Prejudged | None) -> Reply:
    return Reply(
        incident_id=INCIDENT,
        actor=ACTOR,
        channel=Channel.X,
        text="We are on it: a fix ships within the hour.",
        visibility=Visibility.PUBLIC,
        prejudged=prejudged,
    )


def test_the_rules_record_a_judgement_made_ahead_for_the_incidents_severity() -> None:
    with pytest.raises(ReplyFlagged):
        rules.decide(_reply(Prejudged(severity=Severity.SEV2, judgement=_FLAGGED)), DETECTED_SEV2, NOW)


def test_the_rules_judge_again_when_the_judgement_was_made_for_another_severity() -> None:
    (new,) = rules.decide(_reply(Prejudged(severity=Severity.SEV4, judgement=_FLAGGED)), DETECTED_SEV2, NOW)
    assert isinstance(new.data, Replied)
    assert new.data.review.verdict == "ok"


# Reviewed appends through the shell, on real PostgreSQL


@pytest.fixture(scope="module")
def shell(pool: asyncpg.Pool) -> Shell:
    return Shell(EventStore(pool), PolicyStore(pool), clock.now)


async def _incident(shell: Shell, who: Principal, severity: Severity) -> uuid.UUID:
    cmd = Detect(incident_id=uuid.uuid4(), actor="ayse", title="t", severity=severity, channel=Channel.X)
    done = await shell.execute(who, cmd)
    assert isinstance(done, Done)
    return done.incident.id


def _reply_to(incident: uuid.UUID, text: str, **more: object) -> Reply:
    return Reply(incident_id=incident, actor="ayse", channel=Channel.X, text=text, visibility=Visibility.PUBLIC, **more)


async def test_concurrent_reviewed_appends_each_record_the_judgement_of_their_own_reply(pool, shell):
    who = Principal((await new_tenant(pool)).name, "write-key", Scope.WRITE)
    severities = [Severity.SEV1, Severity.SEV3]
    incidents = [await _incident(shell, who, severity) for severity in severities for _ in range(3)]
    texts = [*TYPICAL_REPLIES["en"][:6], *TYPICAL_REPLIES["tr"][:6]]
    replies = [_reply_to(incidents[i % len(incidents)], text) for i, text in enumerate(texts)]
    results = await asyncio.gather(*(shell.execute(who, reply) for reply in replies))
    for reply, result in zip(replies, results, strict=True):
        assert isinstance(result, Done)
        (event,) = result.events
        assert isinstance(event.data, Replied) and event.data.text == reply.text
        alone = judge(reply.text, severity=str(result.incident.severity))
        recorded = event.data.review
        assert recorded is not None
        assert (recorded.verdict, recorded.language) == (alone.verdict, alone.language)
        assert recorded.advice == sorted({f.kind for f in alone.findings if f.level == "advice"})
    assert {r.events[0].data.review.language for r in results} == {"en", "tr"}  # type: ignore[union-attr]


async def test_a_reply_whose_judgement_fails_fails_alone_and_writes_nothing(pool, shell, monkeypatch):
    who = Principal((await new_tenant(pool)).name, "write-key", Scope.WRITE)
    incidents = [await _incident(shell, who, Severity.SEV2) for _ in range(4)]
    shipped = rules.judge

    def breaks_on_one(text: str, **kwargs: object) -> Judgement:
        if text == "the one that breaks the review":
            raise RuntimeError("the review broke")
        return shipped(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rules, "judge", breaks_on_one)
    replies = [
        _reply_to(incidents[0], TYPICAL_REPLIES["en"][0]),
        _reply_to(incidents[1], "the one that breaks the review"),
        _reply_to(incidents[2], TYPICAL_REPLIES["tr"][0]),
        _reply_to(incidents[3], TYPICAL_REPLIES["en"][1], language="xx"),  # (a language the review does not know)
    ]
    results = await asyncio.gather(*(shell.execute(who, reply) for reply in replies), return_exceptions=True)
    assert isinstance(results[0], Done) and isinstance(results[2], Done)
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[3], InvalidValue) and results[3].extra["field"] == "language"
    versions = await pool.fetch(
        "SELECT incident_id, max(version) AS v FROM events WHERE tenant_id = $1 GROUP BY incident_id", who.tenant
    )
    assert {row["incident_id"]: row["v"] for row in versions} == {
        incidents[0]: 2,
        incidents[1]: 1,
        incidents[2]: 2,
        incidents[3]: 1,
    }

"""The review queue (ledger/service/review_queue.py): the drafts ready in one turn of the loop are
judged back to back, each gets its own review or its own error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec

from ledger.domain.review import review
from ledger.domain.review.quality import TYPICAL_REPLIES
from ledger.service.review_queue import ReviewQueue
from tests.conftest import detect_body

HOSTILE = "SHUT UP, this is NOT our fault!!! You people clearly cannot read the manual."

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


# Drafts reviewed at once through the service


async def test_concurrent_drafts_each_get_the_review_of_their_own_text(app_client, tenant):
    incidents = {}
    for severity in ("sev1", "sev3"):
        r = await app_client.post("/v1/incidents", json=detect_body(severity=severity), headers=tenant.auth())
        incidents[severity] = r.json()["id"]
    texts = [*TYPICAL_REPLIES["en"][:6], *TYPICAL_REPLIES["tr"][:6], HOSTILE]
    bodies = [{"text": text, "incident_id": incidents["sev1" if i % 2 else "sev3"]} for i, text in enumerate(texts)]
    answers = await asyncio.gather(
        *(app_client.post("/v1/replies/review", json=body, headers=tenant.auth("read")) for body in bodies)
    )
    for body, answer in zip(bodies, answers, strict=True):
        assert answer.status_code == 200, answer.text
        severity = "sev1" if body["incident_id"] == incidents["sev1"] else "sev3"
        alone = msgspec.to_builtins(review(body["text"], severity=severity))
        got = answer.json()
        assert {k: got[k] for k in alone} == alone
    assert {a.json()["language"] for a in answers} == {"en", "tr"}
    assert {a.json()["verdict"] for a in answers} == {"ok", "flagged"}

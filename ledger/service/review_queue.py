"""The drafts whose review is asked for in one turn of the event loop, judged back to back.

A judgement is pure CPU work whose cost is mostly cache misses: after the other work of a request
(parsing, the plan, encoding, the loop) it costs about half as much again as right after another
judgement. Under load many drafts reach their review in the same turn of the loop, so each puts
its judgement here and the first asks for one run at the start of the next turn, which judges all
of them in a row and hands each its own result (docs/performance.md "The reply review"; reply
appends judge inside `decide`, where this did not pay).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ReviewQueue:
    """Runs the judgements asked for in one turn of the loop together, at most `max_batch` in a row
    (the rest in the next turn). Each caller gets its own result or its own exception; a caller
    that gave up before the run is skipped. One per process (ledger/http/app.py); it holds nothing
    between turns."""

    def __init__(self, max_batch: int = 32) -> None:
        self.max_batch = max_batch
        self._waiting: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._run_on: asyncio.AbstractEventLoop | None = None  # (the loop a run is scheduled on)

    async def judged(self, judge: Callable[[], T]) -> T:
        """`judge()`, called in a row with the others asked for in this turn of the loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._run_on is not loop:  # none scheduled yet (or one on a closed loop, whose callers are gone)
            self._waiting.clear()
            self._run_on = loop
            loop.call_soon(self._run)
        self._waiting.append((judge, future))
        return await future

    def _run(self) -> None:
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._run)  # (after the callers this batch wakes)
        else:
            self._run_on = None
        for judge, future in batch:
            if future.done():  # the caller gave up (cancelled)
                continue
            try:
                future.set_result(judge())
            except Exception as exc:  # (its own caller's failure only)
                future.set_exception(exc)

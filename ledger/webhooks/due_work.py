"""When the delivery worker looks for due work, and which subscriptions it then hands out.

A look (`DUE`) finds enabled subscriptions with events past their cursor whose attempt is due. New
work can only come from a tenant that has an enabled subscription, so the worker keeps that set of
tenants (`subscribed`, read with `SUBSCRIBED_TENANTS`) and is woken only by their new events
(`Notifier.watch`): under an append load of tenants without webhooks it makes no round trip per
wake-up. It looks:

- when one of those tenants has new events (its own appends, or another process's notification);
- when subscriptions change (`wake`: set by this process's webhook writes, and by the notifier when
  any process announces one on `WEBHOOKS_CHANNEL`, or after it could not listen): it reads the
  set again first;
- when the earliest retry that the last look saw comes due;
- when a claim of its own ends (more may be due, or a retry was set), and when one that another
  process held is let go while due work waits for a free slot;
- every `poll_s` in any case, reading the set again (a lost notification costs at most that).

At most one look per `MIN_GAP_S`: under load every append of a subscribed tenant wakes it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from ledger.feed.notifier import Notifier
from ledger.store.deliveries import DUE, SUBSCRIBED_TENANTS

log = structlog.get_logger(__name__)

MIN_GAP_S = 0.05
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)

Key = tuple[str, uuid.UUID]


class DueWork:
    """The worker's loop: looks for due subscriptions and runs `serve` for each, `concurrency` at once.

    `subscribed` is its one cache: bounded by the tenants; its invariant, that a tenant which gets an
    enabled subscription is in it before that subscription's events can wait on it, is kept by
    reading it again on every change announced (and every `poll_s`) and looking right after."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        notifier: Notifier,
        wake: asyncio.Event,
        serve: Callable[[str, uuid.UUID], Awaitable[int | None]],
        *,
        poll_s: float,
        concurrency: int,
    ) -> None:
        self.pool = pool
        self.notifier = notifier
        self.wake = wake
        self.serve = serve
        self.poll_s = poll_s
        self.concurrency = concurrency
        self.subscribed: set[str] = set()
        self.running: dict[Key, asyncio.Task[int | None]] = {}
        self.looks = 0  # (how many times it asked for due work: for tests and the curious)
        self._again = asyncio.Event()
        self._waiting = False  # the last look found more due work than free slots

    async def run(self) -> None:
        """Until the notifier closes (or this is cancelled); then the claims in flight are cancelled."""
        read_at = float("-inf")
        with self.notifier.watch(self.subscribed) as woken:
            try:
                while not self.notifier.closed:
                    woken.clear()
                    self._again.clear()
                    changed = self.wake.is_set()
                    self.wake.clear()
                    if changed or time.monotonic() - read_at >= self.poll_s:
                        read_at = time.monotonic()
                        await self._read_subscribed()
                    retry_in = await self._look() if self.subscribed else None
                    timeout = self.poll_s if retry_in is None else min(self.poll_s, retry_in)
                    await _wait_any((woken, self.wake, self._again), timeout)
                    await asyncio.sleep(MIN_GAP_S)
            finally:
                for task in self.running.values():
                    task.cancel()
                await asyncio.gather(*self.running.values(), return_exceptions=True)

    async def _read_subscribed(self) -> None:
        try:
            rows = await self.pool.fetch(SUBSCRIBED_TENANTS)
        except DB_ERRORS as exc:
            log.warning("webhook_worker_db_error", error=type(exc).__name__)
            return  # (the set it had; read again on the next change or tick)
        self.subscribed.clear()
        self.subscribed.update(row["tenant_id"] for row in rows)

    async def _look(self) -> float | None:
        """Start a claim of each due subscription that has a free slot; the seconds until the
        earliest retry not yet due that it saw (None: none)."""
        self.looks += 1
        try:
            rows = await self.pool.fetch(DUE, self.concurrency * 4)
        except DB_ERRORS as exc:
            log.warning("webhook_worker_db_error", error=type(exc).__name__)
            return None
        self._waiting = False
        for row in rows:
            if row["wait_s"] > 0:
                return float(row["wait_s"])  # (ordered by when each is due: the rest come later)
            key: Key = (row["tenant_id"], row["id"])
            if key in self.running:
                continue
            if len(self.running) >= self.concurrency:
                self._waiting = True
                continue
            task = asyncio.create_task(self.serve(*key))
            self.running[key] = task
            task.add_done_callback(lambda t, k=key: self._finished(k, t))
        return None

    def _finished(self, key: Key, task: asyncio.Task[int | None]) -> None:
        self.running.pop(key, None)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("webhook_worker_error", error=type(exc).__name__, exc_info=exc)
        elif task.result() is not None or self._waiting:
            # After its own claim more may be due (it stopped after a full claim, or new work came
            # meanwhile), or it set a retry, which the next look times; or due work waits for this
            # slot. (Not after a claim another process held: it would find that one again at once.)
            self._again.set()


async def _wait_any(events: tuple[asyncio.Event, ...], timeout_s: float) -> None:
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=max(timeout_s, 0.0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()

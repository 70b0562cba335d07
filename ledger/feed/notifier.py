"""Wake-ups on new events: one LISTEN connection per server process, fanned out to local waiters.

A process that commits events wakes its own waiters at once and, on the event loop's next turn,
sends its burst of commits as `NOTIFY ledger_events` payloads, one statement per burst, from
outside the appending transaction: a NOTIFY inside it would take PostgreSQL's database-wide
notification lock at every commit, serializing the appends of all tenants. A payload says which
tenant has new events, so waiters read the table for what is new (or, the live feed, take it
from what the payloads carried: below).

It also carries the events of incidents whole (an event too large to carry is named by incident
and version only). The other processes fold them onto the states they hold (`on_remote`), so that
their next append on the incident is not a conflict; a cached state stays a guess that the
conditional append checks. And a process whose live feed follows the tenant keeps the latest of
them, with its own commits, so that the feed can send them without reading the table (`recent`).
Notifications can be lost (the listener reconnects, the server restarts, a writer dies between
commit and notify), so every waiter also polls on a timeout, and the feed reads the table for
whatever it does not hold in an unbroken run after the last position it sent.

The same connection listens for revoked keys (`KEYS_CHANNEL`, sent by `revoke_key` at its
commit, from any process or the CLI) and hands them to `on_revoked`, which ends their live feeds,
and for changed webhook subscriptions (`WEBHOOKS_CHANNEL`, sent by every subscription write at its
commit), which it hands to `on_webhooks`: the delivery worker then reads which tenants it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Iterator
from typing import Any, Final

import asyncpg
import msgspec
import structlog

from ledger.feed.payloads import Payload, data_fits, decode_payload, payloads
from ledger.store.coordination import notify, ping
from ledger.store.keys import KEYS_CHANNEL
from ledger.store.webhooks import WEBHOOKS_CHANNEL
from schemas.events import Event

log = structlog.get_logger(__name__)

CHANNEL = "ledger_events"
# The latest committed events held per tenant that a live feed here follows (see `recent`): at
# least this many, at most twice as many. An event whose data would not fit in a notification is
# not held (the feed reads it from the table), so a tail stays under a few megabytes.
TAIL_EVENTS: Final = 500
# A tenant's parked streams are served in one pass per wake-up; a wake-up within `pace_s` * (its
# parked streams / PACED_STREAMS) of the last pass is served at the end of that span instead, with
# whatever else came meanwhile. A few streams are served at once; hundreds under a steady load get
# a few events per send instead of one or two, which is most of what the feed costs (each send
# is a wake-up of the server's writer, a system call and the client's read, per stream).
PACED_STREAMS: Final = 200

Connector = Callable[[], Awaitable[asyncpg.Connection]]


class Notifier:
    """Holds the LISTEN connection and the local waiters (per tenant, or for every tenant)."""

    def __init__(
        self,
        connect: Connector,
        release: Callable[[asyncpg.Connection], Awaitable[None]],
        *,
        pace_s: float = 0.0,
        paced_streams: int = PACED_STREAMS,
    ) -> None:
        self._connect = connect
        self._release = release
        self._pace_s = pace_s
        self._paced_streams = paced_streams
        self._by_tenant: dict[str, set[asyncio.Event]] = {}
        # Per tenant: the waiters parked at the head of its feed, each served by its callback, all
        # of them in one pass per wake-up (`park`), instead of each woken to serve itself.
        self._parked: dict[str, dict[asyncio.Event, Callable[[], None]]] = {}
        self._passes_due: set[str] = set()
        self._passed_at: dict[str, float] = {}  # when each tenant's last pass ran (time.monotonic())
        self._everything: set[asyncio.Event] = set()
        # Waiters for a set of tenants that their owner keeps current (`watch`).
        self._watches: list[tuple[Collection[str], asyncio.Event]] = []
        # When each tenant's waiters were last woken (what a shared read is measured against).
        self._woken_at: dict[str, float] = {}
        # Per tenant followed here: its latest committed events known here, by position.
        self._tails: dict[str, dict[int, Event]] = {}
        self._lost = asyncio.Event()
        self._pending: dict[str, list[Event]] = {}
        self._publish = asyncio.Event()
        self.origin = uuid.uuid4().hex
        # Told what other processes committed.
        self.on_remote: Callable[[Payload], None] | None = None
        # Told which keys were revoked (their hashes), by any process.
        self.on_revoked: Callable[[list[bytes]], None] | None = None
        # Told that a tenant's webhook subscriptions changed, in any process (None: perhaps any
        # tenant's, after a time nobody listened).
        self.on_webhooks: Callable[[str | None], None] | None = None
        self.closed = False
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def subscribe(self, tenant: str | None) -> Iterator[asyncio.Event]:
        """An Event set on every wake-up for `tenant` (None: for any tenant) and at shutdown."""
        event = asyncio.Event()
        group = self._everything if tenant is None else self._by_tenant.setdefault(tenant, set())
        group.add(event)
        try:
            yield event
        finally:
            if tenant is not None:
                self.unpark(tenant, event)
            group.discard(event)
            if tenant is not None and not group:
                self._by_tenant.pop(tenant, None)
                self._tails.pop(tenant, None)
                self._woken_at.pop(tenant, None)
                self._passed_at.pop(tenant, None)

    @contextlib.contextmanager
    def watch(self, tenants: Collection[str]) -> Iterator[asyncio.Event]:
        """An Event set on every wake-up for a tenant in `tenants` (a collection its owner keeps
        current, looked up at each wake-up), on a wake-up of everyone and at shutdown. Unlike a
        tenant's `subscribe`, it keeps no tail: the webhook worker's, woken only by the tenants
        that have a subscription."""
        event = asyncio.Event()
        entry = (tenants, event)
        self._watches.append(entry)
        try:
            yield event
        finally:
            self._watches.remove(entry)

    def park(self, tenant: str, event: asyncio.Event, serve: Callable[[], None]) -> None:
        """Until `unpark`, a wake-up of `tenant` calls `serve()` instead of setting `event` (one of
        its subscriptions'): in one pass over the tenant's parked waiters on the loop's next turn
        (or at the end of its pace, `_pass_wait`), however many wake-ups came meanwhile. Hundreds
        of live feeds of a tenant, each at the head, are each sent what is new by their callback,
        without a task woken for each. `serve` hands its waiter back (`unpark`, then
        `event.set()`) for anything it does not do itself."""
        if (group := self._by_tenant.get(tenant)) is not None and event in group:
            group.discard(event)
            self._parked.setdefault(tenant, {})[event] = serve

    def unpark(self, tenant: str, event: asyncio.Event) -> None:
        """`event` is set by the tenant's wake-ups again (nothing if it was not parked)."""
        parked = self._parked.get(tenant)
        if parked is not None and parked.pop(event, None) is not None:
            self._by_tenant.setdefault(tenant, set()).add(event)
            if not parked:
                del self._parked[tenant]

    def parked(self, tenant: str) -> int:
        """How many of the tenant's waiters are parked."""
        return len(self._parked.get(tenant, ()))

    def _pass_wait(self, tenant: str, now: float) -> float:
        """How long the tenant's next pass waits: the rest of its pace since the last one, if any.
        The pace grows with the streams parked, up to `pace_s` at `paced_streams`."""
        parked = len(self._parked.get(tenant, ()))
        pace = self._pace_s * min(1.0, parked / self._paced_streams)
        return pace - (now - self._passed_at.get(tenant, float("-inf")))

    def _serve_parked(self, tenant: str) -> None:
        self._passes_due.discard(tenant)
        self._passed_at[tenant] = time.monotonic()
        for serve in list(self._parked.get(tenant, {}).values()):
            try:
                serve()
            except Exception:
                log.exception("parked_waiter_failed", tenant=tenant)

    def recent(self, tenant: str, after: int, limit: int) -> list[Event]:
        """Up to `limit` committed events of `tenant` held here that follow position `after` without
        a gap; empty if the next one is not held (read the table). Held only while a waiter of the
        tenant's own is subscribed; positions are gapless per tenant, so an unbroken run is all of
        what was committed after `after` up to its last position."""
        tail = self._tails.get(tenant)
        out: list[Event] = []
        while tail and len(out) < limit and (event := tail.get(after + 1 + len(out))) is not None:
            out.append(event)
        return out

    def _hold(self, tenant: str, events: Iterable[Event | None], *, measure: bool = False) -> None:
        """Keep `events` (None: not carried whole) for the tenant's live feeds; `measure`: leave out
        those whose data would not fit in a notification (what notifications carry already fits).
        Only incidents' events, as notifications carry: a tenant event's data holds a free-form
        document (a policy), which the table gives back in jsonb's key order, not the writer's."""
        if tenant not in self._by_tenant:
            return
        tail = self._tails.setdefault(tenant, {})
        for event in events:
            if event is None or event.incident_id is None:
                continue
            if not measure or data_fits(event):
                tail[event.position] = event
        if len(tail) > 2 * TAIL_EVENTS:
            newest = max(tail)
            for position in [p for p in tail if p <= newest - TAIL_EVENTS]:
                del tail[position]

    def wake(self, tenant: str | None = None) -> None:
        """Wake the waiters of `tenant` (None: everyone)."""
        for event in self._everything:
            event.set()
        for tenants, event in self._watches:
            if tenant is None or tenant in tenants:
                event.set()
        for name in list(self._by_tenant) if tenant is None else [tenant]:
            if (group := self._by_tenant.get(name)) is not None:
                self._woken_at[name] = now = time.monotonic()
                for event in group:
                    event.set()
                if name in self._parked and name not in self._passes_due:
                    self._passes_due.add(name)
                    if (wait := self._pass_wait(name, now)) > 0:
                        asyncio.get_running_loop().call_later(wait, self._serve_parked, name)
                    else:
                        asyncio.get_running_loop().call_soon(self._serve_parked, name)

    def last_wake(self, tenant: str) -> float:
        """When the tenant's waiters were last woken (`time.monotonic()`; 0.0: never)."""
        return self._woken_at.get(tenant, 0.0)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if not payload.startswith("["):  # a bare tenant name (what earlier versions sent)
            self.wake(payload or None)
            return
        try:
            message = decode_payload(payload)
        except msgspec.DecodeError:
            log.warning("notification_unreadable", payload=payload[:80])
            self.wake()  # (whoever it was for reads the table)
            return
        if message.origin == self.origin:
            return  # announced here already
        if self.on_remote is not None:
            try:
                self.on_remote(message)
            except Exception:
                log.exception("notification_not_applied", tenant=message.tenant)
        if message.tenant in self._by_tenant:
            self._hold(message.tenant, (change.event(message.tenant) for change in message.changes))
        self.wake(message.tenant)

    def _on_keys_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            revoked = [bytes.fromhex(part) for part in payload.split(",") if part]
        except ValueError:
            log.warning("key_notice_unreadable", payload=payload[:80])
            return
        if revoked and self.on_revoked is not None:
            try:
                self.on_revoked(revoked)
            except Exception:
                log.exception("key_notice_not_applied")

    def _on_webhooks_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._webhooks_changed(payload or None)

    def _webhooks_changed(self, tenant: str | None) -> None:
        if self.on_webhooks is not None:
            try:
                self.on_webhooks(tenant)
            except Exception:
                log.exception("webhook_notice_not_applied", tenant=tenant)

    def announce(self, tenant: str, events: list[Event] | None = None) -> None:
        """`events` of `tenant` (None: some events) were committed by this process: wake its
        waiters now, tell the other processes soon."""
        self._pending.setdefault(tenant, []).extend(events or ())
        if events:
            self._hold(tenant, events, measure=True)
        self.wake(tenant)
        self._publish.set()

    async def publish(self, pool: asyncpg.Pool) -> None:
        """Send the announced tenants' notifications, one statement per burst, until closed. A burst
        is what was announced since the last statement: a group-commit batch announces all its
        appends before this task's turn, and more gather while a statement is on its way.
        It never waits for more: a wait would delay every other process's feeds by as much."""
        while not self.closed:
            await self._publish.wait()
            self._publish.clear()
            pending, self._pending = self._pending, {}
            if not pending:
                continue
            messages = [m for tenant, events in sorted(pending.items()) for m in payloads(self.origin, tenant, events)]
            try:
                await notify(pool, CHANNEL, messages)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("notify_failed", error=type(exc).__name__)  # readers' polls cover it

    def _on_lost(self, _conn: Any) -> None:
        self._lost.set()

    async def run(self, retry_s: float = 1.0) -> None:
        """Listen until cancelled, reconnecting when the connection drops."""
        while not self.closed:
            try:
                conn = await self._connect()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("listener_connect_failed", error=type(exc).__name__)
                await asyncio.sleep(retry_s)
                continue
            try:
                self._lost.clear()
                conn.add_termination_listener(self._on_lost)
                await conn.add_listener(CHANNEL, self._on_notify)
                await conn.add_listener(KEYS_CHANNEL, self._on_keys_notice)
                await conn.add_listener(WEBHOOKS_CHANNEL, self._on_webhooks_notice)
                self.listening.set()
                # Whatever was committed while nobody listened is found by the waiters' next read.
                self.wake()
                self._webhooks_changed(None)
                await self._watch(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("listener_lost", error=type(exc).__name__)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    conn.remove_termination_listener(self._on_lost)
                with contextlib.suppress(Exception):
                    await conn.remove_listener(CHANNEL, self._on_notify)
                with contextlib.suppress(Exception):
                    await conn.remove_listener(KEYS_CHANNEL, self._on_keys_notice)
                with contextlib.suppress(Exception):
                    await conn.remove_listener(WEBHOOKS_CHANNEL, self._on_webhooks_notice)
                with contextlib.suppress(Exception):
                    await self._release(conn)
            if not self.closed:
                self.wake()
                await asyncio.sleep(retry_s)

    async def _watch(self, conn: asyncpg.Connection, every_s: float = 5.0) -> None:
        """Return when the connection is gone (the termination callback, or a failed ping)."""
        while not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=every_s)
            if self._lost.is_set() or conn.is_closed():
                return
            await ping(conn, every_s)

    def close(self) -> None:
        """Shutdown: waiters see `closed` on their next wake-up, which this gives them now."""
        self.closed = True
        self._lost.set()
        self.wake()


@contextlib.asynccontextmanager
async def running(url: str | None, pool: asyncpg.Pool, *, pace_s: float = 0.0) -> AsyncIterator[Notifier]:
    """A Notifier on a dedicated connection to `url`, or (no URL known) one connection held from
    `pool`; `pace_s`: the most its parked streams' passes are spaced (`Notifier._pass_wait`).

    A pool connection is held for as long as it listens: the pool runs `UNLISTEN *` on release.
    """
    if url is not None:

        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(url, timeout=10, server_settings={"application_name": "crisis-ledger-listen"})

        async def release(conn: asyncpg.Connection) -> None:
            await conn.close(timeout=2)

    else:

        async def connect() -> asyncpg.Connection:
            conn: asyncpg.Connection = await pool.acquire(timeout=10)
            return conn

        async def release(conn: asyncpg.Connection) -> None:
            await pool.release(conn, timeout=2)

    notifier = Notifier(connect, release, pace_s=pace_s)
    task = asyncio.create_task(notifier.run())
    publisher = asyncio.create_task(notifier.publish(pool))
    try:
        yield notifier
    finally:
        notifier.close()
        publisher.cancel()
        # Let it unlisten and give its connection back; cancel only if that hangs (a dead server).
        done, _ = await asyncio.wait([task], timeout=5)
        if not done:
            task.cancel()
        await asyncio.gather(task, publisher, return_exceptions=True)

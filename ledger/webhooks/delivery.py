"""The delivery worker: at-least-once, in feed order per subscription, safe with many processes.

A standard subscription gets each event it follows, signed (Standard Webhooks); a Slack or Teams
one gets a chat message for the events worth one (ledger/webhooks/chat.py; the others are passed
over without a request or a log entry), and no signature: those URLs carry their own secret.

Each subscription has a cursor (`next_position`). A worker claims a subscription with a session
advisory lock on a pooled connection (`pg_try_advisory_lock`, skipped when taken: each attempt
is made by exactly one process). A process that dies loses its connection and so its lock; a
cancelled task's connection is reset by the pool, which also unlocks. The subscription row is
never locked across an HTTP call, so editing or deleting a webhook never waits for a delivery;
every state change is conditional on the cursor the worker started from, so a concurrent
redelivery request (which moves the cursor) wins.

An event is delivered until it gets a 2xx; only then does the cursor move past it. Failures
(connection errors, timeouts, 3xx, 4xx, 429, 5xx) are retried with exponential backoff and
jitter (`retry_delay`), honouring `Retry-After`. A subscription failing for longer than
`disable_after` is disabled with the reason; `410 Gone` disables it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

import asyncpg
import httpx
import msgspec
import structlog

from ledger import metrics
from ledger.feed.notifier import Notifier
from ledger.store.coordination import try_lock, unlock
from ledger.store.deliveries import (
    DISABLE,
    FAILED,
    LOG_ATTEMPT,
    NEXT_EVENT,
    READ_CLAIMED,
    SKIP_TO,
    SUCCEEDED,
)
from ledger.store.events import READ_STREAM, event_from_row
from ledger.store.ids import new_id
from ledger.store.keys import head_position
from ledger.store.policies import PolicyStore
from ledger.webhooks import chat, signing, slack, teams
from ledger.webhooks.chat import wanted_types
from ledger.webhooks.due_work import DueWork
from ledger.webhooks.ssrf import Refused, resolve
from projections.renders import event_out
from schemas.events import Detected, Event

log = structlog.get_logger(__name__)

_json = msgspec.json.Encoder()
USER_AGENT: Final = "crisis-ledger-webhooks/1"
# Events delivered per claim before the subscription is let go (fairness between subscriptions).
PER_CLAIM: Final = 100
ERROR_CHARS: Final = 500


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 5.0
    max_s: float = 3600.0
    disable_after_s: float = 86400.0


def retry_delay(failures: int, policy: RetryPolicy, retry_after_s: float | None = None) -> float:
    """Seconds until the next attempt after `failures` consecutive failures (1, 2, …).

    Exponential (base · 2^(n-1), capped) with "equal jitter" (between half and all of it), so
    receivers that fail together do not get their retries in lockstep. With the 5 s default the
    first three retries come within about 35 s, the delay reaches its 1 h cap after ~10 failures.
    A `Retry-After` longer than that is honoured (up to the cap).
    """
    exp = min(policy.max_s, policy.base_s * 2 ** min(failures - 1, 40))
    delay = exp / 2 + random.uniform(0, exp / 2)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.max_s))
    return delay


def retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    retry_after_s: float | None = None
    gone: bool = False


def _lock_key(subscription_id: uuid.UUID) -> int:
    # The id's second half: random in every version. (The first half of a time-ordered id is its
    # millisecond and counter, the same for two subscriptions made in one millisecond.)
    return int.from_bytes(subscription_id.bytes[8:], "big", signed=True)


def signed(secret: str, event: Event, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The standard delivery of `event`: the event as the API shows it, and its signature headers."""
    body = _json.encode(event_out(event))
    return body, signing.headers(secret, str(event.id), now, body)


async def send(
    client: httpx.AsyncClient, url: str, body: bytes, extra_headers: dict[str, str], *, allow_private: bool
) -> Outcome:
    """One POST of `body` to `url` (the SSRF check first, on the address actually used)."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    now = datetime.now(UTC)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, **extra_headers}
    request_url = httpx.URL(url)
    extensions: dict[str, str] = {}
    try:
        target = await resolve(url, allow_private=allow_private)
    except Refused as exc:
        return Outcome(False, None, elapsed(), f"refused: {exc.detail}")
    if not allow_private:
        # Connect to the address that was checked; the Host header and TLS name stay the URL's.
        request_url = request_url.copy_with(host=target.address)
        headers["host"] = httpx.URL(url).netloc.decode("ascii")
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
    try:
        async with client.stream("POST", request_url, content=body, headers=headers, extensions=extensions) as response:
            status = response.status_code
            wait = retry_after(response.headers.get("retry-after"), now)
    except httpx.TimeoutException:
        return Outcome(False, None, elapsed(), "timeout")
    except httpx.HTTPError as exc:
        return Outcome(False, None, elapsed(), f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    if 200 <= status < 300:
        return Outcome(True, status, elapsed(), None)
    return Outcome(False, status, elapsed(), f"HTTP {status}", retry_after_s=wait, gone=status == 410)


@dataclass
class Worker:
    pool: asyncpg.Pool
    client: httpx.AsyncClient
    policy: RetryPolicy
    allow_private: bool
    # Chat messages: the incidents' plans (missing roles), and where the crisis room is (links).
    policies: PolicyStore | None = None
    public_url: str | None = None

    async def serve(self, tenant: str, subscription_id: uuid.UUID) -> int | None:
        """Deliver what is due for one subscription if no one else is; the number delivered (None:
        another process holds the claim)."""
        key = _lock_key(subscription_id)
        async with self.pool.acquire() as conn:
            if not await try_lock(conn, key):
                return None
            try:
                return await self._deliver(conn, tenant, subscription_id)
            finally:
                # Pooled connections are not reset on release (see ledger.store.database): the lock
                # must go now, or the connection with it.
                try:
                    await unlock(conn, key)
                except BaseException:
                    conn.terminate()
                    raise

    async def _deliver(self, conn: asyncpg.Connection, tenant: str, subscription_id: uuid.UUID) -> int:
        delivered = 0
        for _ in range(PER_CLAIM):
            sub = await conn.fetchrow(READ_CLAIMED, tenant, subscription_id)
            if sub is None:
                return delivered
            cursor = sub["next_position"]
            head = await head_position(conn, tenant)
            to_chat = sub["format"] != "standard"
            types = wanted_types(sub["event_types"]) if to_chat else sub["event_types"]
            row = await conn.fetchrow(NEXT_EVENT, tenant, cursor, head, types)
            if row is None:
                if head >= cursor:
                    await conn.execute(SKIP_TO, tenant, subscription_id, cursor, head + 1)
                return delivered
            event = event_from_row(row)
            if event.position > cursor:
                await conn.execute(SKIP_TO, tenant, subscription_id, cursor, event.position)
                cursor = event.position
            started_at = datetime.now(UTC)
            if to_chat:
                body = await self._chat(conn, tenant, sub["format"], event)
                if body is None:  # (not one for chat, such as a sev3 detection: passed over)
                    await conn.execute(SKIP_TO, tenant, subscription_id, cursor, event.position + 1)
                    continue
                headers: dict[str, str] = {}
            else:
                body, headers = signed(sub["secret"], event, started_at)
            outcome = await send(self.client, sub["url"], body, headers, allow_private=self.allow_private)
            if not await self._record(conn, tenant, subscription_id, sub, cursor, event, started_at, outcome):
                return delivered
            delivered += 1
        return delivered

    async def _chat(self, conn: asyncpg.Connection, tenant: str, fmt: str, event: Event) -> bytes | None:
        """The Slack or Teams message for `event`, from its incident's events up to it (so a
        redelivery says the same), or None when the event is not one for chat."""
        if event.incident_id is None or event.version is None:
            return None
        rows = await conn.fetch(READ_STREAM, tenant, event.incident_id, 0, event.version)
        stream = [event_from_row(r) for r in rows]
        detected = stream[0].data if stream else None
        if not isinstance(detected, Detected):
            return None
        policies = self.policies or PolicyStore(self.pool)
        plan = await policies.version(tenant, detected.policy_version, conn)
        said = chat.message(event, stream, plan, self.public_url)
        if said is None:
            return None
        return _json.encode(slack.payload(said) if fmt == "slack" else teams.payload(said))

    async def _record(
        self,
        conn: asyncpg.Connection,
        tenant: str,
        subscription_id: uuid.UUID,
        sub: asyncpg.Record,
        cursor: int,
        event: Event,
        started_at: datetime,
        outcome: Outcome,
    ) -> bool:
        """Log the attempt and move the subscription on; True to go on with the next event."""
        attempt = sub["attempts"] + 1
        next_at: datetime | None = None
        async with conn.transaction():
            if outcome.succeeded:
                await conn.execute(SUCCEEDED, tenant, subscription_id, cursor, event.position + 1)
            else:
                reason, next_at = _after_failure(self.policy, sub, started_at, outcome)
                if reason is not None:
                    await conn.execute(DISABLE, tenant, subscription_id, cursor, reason)
                    log.warning("webhook_disabled", tenant=tenant, webhook=str(subscription_id), reason=reason)
                else:
                    await conn.execute(FAILED, tenant, subscription_id, cursor, started_at, next_at)
            with contextlib.suppress(asyncpg.ForeignKeyViolationError):
                # (A subscription deleted meanwhile takes its log with it.)
                async with conn.transaction():
                    await conn.execute(
                        LOG_ATTEMPT,
                        tenant,
                        subscription_id,
                        new_id(),
                        event.id,
                        event.position,
                        event.type,
                        attempt,
                        False,
                        started_at,
                        outcome.latency_ms,
                        outcome.status_code,
                        outcome.succeeded,
                        outcome.error,
                        next_at,
                    )
        metrics.WEBHOOK_ATTEMPTS.labels("succeeded" if outcome.succeeded else "failed").inc()
        if not outcome.succeeded:
            log.info(
                "webhook_attempt_failed",
                tenant=tenant,
                webhook=str(subscription_id),
                position=event.position,
                attempt=attempt,
                status=outcome.status_code,
                error=outcome.error,
            )
        return outcome.succeeded


def _after_failure(
    policy: RetryPolicy, sub: asyncpg.Record, started_at: datetime, outcome: Outcome
) -> tuple[str | None, datetime | None]:
    """After a failed attempt: why to disable the subscription (410 Gone, or failing for too
    long), or else when to try again."""
    failing_since = sub["failing_since"] or started_at
    if outcome.gone:
        return "the receiver answered 410 Gone", None
    if started_at - failing_since >= timedelta(seconds=policy.disable_after_s):
        return f"failing since {failing_since.isoformat()}; last error: {outcome.error}", None
    delay = retry_delay(sub["attempts"] + 1, policy, outcome.retry_after_s)
    return None, started_at + timedelta(seconds=delay)


async def run_forever(
    pool: asyncpg.Pool,
    notifier: Notifier,
    wake: asyncio.Event,
    *,
    policy: RetryPolicy,
    allow_private: bool,
    timeout_s: float,
    poll_s: float,
    concurrency: int,
    policies: PolicyStore | None = None,
    public_url: str | None = None,
) -> None:
    """Deliver until cancelled, looking for due work when there can be some (ledger.webhooks.due_work):
    new events of a tenant with a subscription, a webhook change (`wake`), a retry due, every `poll_s`."""
    limits = httpx.Limits(max_connections=max(concurrency * 2, 4), max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False, limits=limits
    ) as client:
        worker = Worker(pool, client, policy, allow_private, policies or PolicyStore(pool), public_url)
        await DueWork(pool, notifier, wake, worker.serve, poll_s=poll_s, concurrency=concurrency).run()

"""Webhook subscriptions and their delivery log: all SQL as named constants, every query by tenant."""

from __future__ import annotations

import uuid
from typing import Final

import asyncpg

from ledger.domain.errors import NotFound
from ledger.store.ids import new_id
from schemas.webhooks import DeliveryOut, WebhookCreated, WebhookOut

SUBSCRIPTION_COLUMNS: Final = (
    "tenant_id, id, seq, url, event_types, enabled, secret, next_position, attempts, next_attempt_at, "
    "failing_since, disabled_reason, created_at, updated_at, format"
)

# A new subscription starts after the tenant's current head: it receives what happens from now on.
INSERT_SUBSCRIPTION = f"""
INSERT INTO webhook_subscriptions (tenant_id, id, url, event_types, enabled, secret, next_position, format)
SELECT $1, $2, $3, $4, $5, $6, t.head_position + 1, $7 FROM tenants t WHERE t.id = $1
RETURNING {SUBSCRIPTION_COLUMNS}
"""

LIST_SUBSCRIPTIONS = f"""
SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
 WHERE tenant_id = $1 AND seq > $2
 ORDER BY seq
 LIMIT $3
"""

READ_SUBSCRIPTION = f"""
SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2
"""

# $3 url, $4 event types, $5 enabled, $7 format (each null = unchanged), $6 why, if this disables it.
# Enabling a disabled subscription, or pointing it elsewhere, starts its retries afresh; the
# cursor stays, so the receiver gets everything it missed, in order.
UPDATE_SUBSCRIPTION = f"""
UPDATE webhook_subscriptions s SET
    url = coalesce($3, s.url),
    event_types = coalesce($4, s.event_types),
    format = coalesce($7, s.format),
    enabled = coalesce($5::boolean, s.enabled),
    disabled_reason = CASE
        WHEN $5::boolean IS NULL THEN s.disabled_reason
        WHEN $5::boolean THEN NULL
        WHEN s.enabled THEN $6
        ELSE s.disabled_reason END,
    attempts = CASE WHEN ($5::boolean AND NOT s.enabled) OR $3 <> s.url THEN 0 ELSE s.attempts END,
    failing_since = CASE WHEN ($5::boolean AND NOT s.enabled) OR $3 <> s.url THEN NULL
                         ELSE s.failing_since END,
    next_attempt_at = CASE WHEN ($5::boolean AND NOT s.enabled) OR $3 <> s.url THEN now()
                           ELSE s.next_attempt_at END,
    updated_at = now()
 WHERE s.tenant_id = $1 AND s.id = $2
RETURNING {SUBSCRIPTION_COLUMNS}
"""

# Every server process listens on WEBHOOKS_CHANNEL (ledger.feed.notifier): told at the commit that
# a tenant's subscriptions changed, its delivery worker reads again which tenants have one.
WEBHOOKS_CHANNEL = "ledger_webhooks"
ANNOUNCE_CHANGE = f"SELECT pg_notify('{WEBHOOKS_CHANNEL}', $1)"

DELETE_SUBSCRIPTION = "DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2 RETURNING id"

# Redeliver: move the cursor back to just after $3 (never past the tenant's head).
REWIND = f"""
UPDATE webhook_subscriptions s SET
    next_position = least($3, t.head_position) + 1,
    attempts = 0, failing_since = NULL, next_attempt_at = now(), updated_at = now()
  FROM tenants t
 WHERE s.tenant_id = $1 AND s.id = $2 AND t.id = s.tenant_id
RETURNING {", ".join("s." + c.strip() for c in SUBSCRIPTION_COLUMNS.split(","))}
"""

DELIVERY_COLUMNS: Final = (
    "id, seq, event_id, position, event_type, attempt, manual, started_at, latency_ms, status_code, "
    "succeeded, error, next_attempt_at"
)

LIST_DELIVERIES = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
 WHERE tenant_id = $1 AND subscription_id = $2 AND seq < $3
 ORDER BY seq DESC
 LIMIT $4
"""


def subscription_out(row: asyncpg.Record) -> WebhookOut:
    return WebhookOut(
        id=row["id"],
        url=row["url"],
        event_types=list(row["event_types"]),
        enabled=row["enabled"],
        format=row["format"],
        disabled_reason=row["disabled_reason"],
        next_position=row["next_position"],
        failing_since=row["failing_since"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["enabled"] else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def delivery_out(row: asyncpg.Record) -> DeliveryOut:
    return DeliveryOut(
        id=row["id"],
        event_id=row["event_id"],
        position=row["position"],
        event_type=row["event_type"],
        attempt=row["attempt"],
        manual=row["manual"],
        started_at=row["started_at"],
        latency_ms=row["latency_ms"],
        status_code=row["status_code"],
        succeeded=row["succeeded"],
        error=row["error"],
        next_attempt_at=row["next_attempt_at"],
    )


def _found(row: asyncpg.Record | None, subscription_id: uuid.UUID) -> asyncpg.Record:
    if row is None:
        raise NotFound(f"webhook {subscription_id} not found")
    return row


class WebhookStore:
    """Tenant-scoped subscription CRUD and the delivery log. A write runs on `conn` when given (the
    shell's transaction, which keeps its Idempotency-Key with it: ledger.shell.Shell.configure), and
    is announced to every process's delivery worker at its commit (`WEBHOOKS_CHANNEL`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def _announce(self, db: asyncpg.Connection | asyncpg.Pool, tenant: str) -> None:
        await db.execute(ANNOUNCE_CHANGE, tenant)

    async def create(
        self,
        tenant: str,
        url: str,
        event_types: list[str],
        enabled: bool,
        secret: str,
        conn: asyncpg.Connection | None = None,
        *,
        format: str = "standard",
    ) -> WebhookCreated:
        db = conn or self.pool
        row = _found(
            await db.fetchrow(INSERT_SUBSCRIPTION, tenant, new_id(), url, event_types, enabled, secret, format),
            uuid.UUID(int=0),
        )
        await self._announce(db, tenant)
        out = subscription_out(row)
        return WebhookCreated(**{f: getattr(out, f) for f in out.__struct_fields__}, secret=secret)

    async def list(self, tenant: str, after_seq: int, limit: int) -> tuple[list[WebhookOut], str | None]:
        rows = await self.pool.fetch(LIST_SUBSCRIPTIONS, tenant, after_seq, limit)
        more = len(rows) == limit
        return [subscription_out(r) for r in rows], str(rows[-1]["seq"]) if more else None

    async def get(self, tenant: str, subscription_id: uuid.UUID, conn: asyncpg.Connection | None = None) -> WebhookOut:
        row = await (conn or self.pool).fetchrow(READ_SUBSCRIPTION, tenant, subscription_id)
        return subscription_out(_found(row, subscription_id))

    async def update(
        self,
        tenant: str,
        subscription_id: uuid.UUID,
        *,
        url: str | None,
        event_types: list[str] | None,
        enabled: bool | None,
        disabled_reason: str,
        conn: asyncpg.Connection | None = None,
        format: str | None = None,
    ) -> WebhookOut:
        """`disabled_reason` is recorded only if this disables an enabled subscription."""
        db = conn or self.pool
        row = await db.fetchrow(
            UPDATE_SUBSCRIPTION, tenant, subscription_id, url, event_types, enabled, disabled_reason, format
        )
        out = subscription_out(_found(row, subscription_id))
        await self._announce(db, tenant)
        return out

    async def delete(self, tenant: str, subscription_id: uuid.UUID, conn: asyncpg.Connection | None = None) -> None:
        db = conn or self.pool
        _found(await db.fetchrow(DELETE_SUBSCRIPTION, tenant, subscription_id), subscription_id)
        await self._announce(db, tenant)

    async def rewind(
        self, tenant: str, subscription_id: uuid.UUID, after: int, conn: asyncpg.Connection | None = None
    ) -> WebhookOut:
        db = conn or self.pool
        out = subscription_out(_found(await db.fetchrow(REWIND, tenant, subscription_id, after), subscription_id))
        await self._announce(db, tenant)
        return out

    async def deliveries(
        self, tenant: str, subscription_id: uuid.UUID, before_seq: int | None, limit: int
    ) -> tuple[list[DeliveryOut], str | None]:
        await self.get(tenant, subscription_id)  # 404 for an unknown (or another tenant's) webhook
        rows = await self.pool.fetch(LIST_DELIVERIES, tenant, subscription_id, before_seq or 2**62, limit)
        more = len(rows) == limit
        return [delivery_out(r) for r in rows], str(rows[-1]["seq"]) if more else None

"""Where the tenant's emergency plan is kept: one row per version beside its policy_changed event."""

from __future__ import annotations

import time
from typing import Final

import asyncpg
import msgspec

from ledger.domain.plan import DEFAULT_POLICY, Policy, parse_policy
from ledger.lru import Lru
from ledger.shared_lookups import SharedLookups
from ledger.store.appends import Appended, Conflict
from ledger.store.events import EventStore
from ledger.store.idempotency import Idempotency, Replayed
from schemas.api import PolicyChangeOut, PolicyHistoryPage
from schemas.events import NewEvent, PolicyChanged

_json = msgspec.json.Encoder()

CURRENT_POLICY = """
SELECT version, document::text AS document FROM policies
 WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1
"""
POLICY_VERSION = "SELECT document::text AS document FROM policies WHERE tenant_id = $1 AND version = $2"
# Oldest first, so that when they do not all fit in the cache the newest stay.
ALL_VERSIONS = "SELECT version, document::text AS document FROM policies WHERE tenant_id = $1 ORDER BY version"

# How long the version in force, as commands see it, is taken from memory. A change made here
# or announced by another process's notification (ledger.feed.notifier) is seen at once; this bounds a
# lost notification.
CURRENT_FOR_S: Final = 1.0
# The parsed versions held, in estimated bytes (see `weight`): about 3,500 plans the size of the
# default one, or 110 of 100 KB (200 holding statements of 20,000 characters would be 4 MB).
VERSIONS_MAX_BYTES: Final = 16 * 1024 * 1024


def weight(document: str) -> int:
    """What a parsed plan holds in memory, estimated from its JSON: about 3 KB plus 1.3 bytes per
    character (measured with tracemalloc: 4.3 KB for the default plan's 1.4 KB of JSON, 139 KB for
    106 KB of holding statements and terms)."""
    return 3_000 + len(document) + len(document) // 3


class PolicyStore:
    """Reads policies; a version never changes once written, so parsed versions are cached (the
    least recently used go first past `max_bytes`, by `weight`)."""

    def __init__(self, pool: asyncpg.Pool, max_bytes: int = VERSIONS_MAX_BYTES) -> None:
        self.pool = pool
        self._versions: Lru[tuple[str, int], Policy] = Lru(max_bytes)
        # Per tenant, the versions up to the highest `preload` saw that are not stored (rows
        # deleted behind the service's back; normally none): versions are numbered in turn and
        # never change, so one of these never will be stored (no need to ask).
        self._not_stored: dict[str, frozenset[int]] = {}
        # Per tenant, when the version in force was read, and that version, for commands.
        self._in_force: dict[str, tuple[float, Policy]] = {}
        # Commands that find it stale share one read, begun after the tenant's last change seen.
        self._reading: SharedLookups[tuple[str, int], Policy] = SharedLookups()
        self._changes: dict[str, int] = {}

    async def current(self, tenant: str, conn: asyncpg.Connection | None = None) -> Policy:
        """The version in force now (version 0: the built-in default plan)."""
        row = await (conn or self.pool).fetchrow(CURRENT_POLICY, tenant)
        if row is None:
            return DEFAULT_POLICY
        return self._remember(tenant, row["version"], row["document"])

    async def version(self, tenant: str, version: int, conn: asyncpg.Connection | None = None) -> Policy:
        """A given version (what an incident detected under it is measured against)."""
        if version == 0:
            return DEFAULT_POLICY
        cached = self._versions.get((tenant, version))
        if cached is not None:
            return cached
        if version in self._not_stored.get(tenant, ()):
            return DEFAULT_POLICY  # (as the table would answer)
        row = await (conn or self.pool).fetchrow(POLICY_VERSION, tenant, version)
        if row is None:
            return DEFAULT_POLICY
        return self._remember(tenant, version, row["document"])

    async def preload(self, tenant: str, conn: asyncpg.Connection) -> None:
        """Cache the stored versions of the tenant's plan, the newest if they do not all fit (a
        rebuild folds without reading them, or reads an evicted one on its own `conn`), and note
        those up to the newest that are not stored."""
        stored = set()
        for row in await conn.fetch(ALL_VERSIONS, tenant):
            self._remember(tenant, row["version"], row["document"])
            stored.add(row["version"])
        self._not_stored[tenant] = frozenset(range(1, max(stored, default=0) + 1)) - stored

    async def current_roles(self, tenant: str) -> tuple[int, frozenset[str]]:
        """The version in force and its roles, for a command (detect, assign) to decide with."""
        policy = await self.in_force(tenant)
        return policy.version, frozenset(policy.roles)

    async def in_force(self, tenant: str) -> Policy:
        """The plan in force, for a command (detect, assign, reply) to decide with.

        From memory for up to CURRENT_FOR_S: a command decided in that window after another
        process changed the plan without telling this one (a lost notification) uses the
        previous version, as a command that raced the change would anyway.
        """
        held = self._in_force.get(tenant)
        if held is not None and time.monotonic() - held[0] < CURRENT_FOR_S:
            return held[1]
        changes = self._changes.get(tenant, 0)
        return await self._reading.get((tenant, changes), lambda: self._read_in_force(tenant))

    async def _read_in_force(self, tenant: str) -> Policy:
        now = time.monotonic()
        changes = self._changes.get(tenant, 0)
        policy = await self.current(tenant)
        if self._changes.get(tenant, 0) == changes:  # (else what was read may be older than the change)
            self._in_force[tenant] = (now, policy)
        return policy

    async def history(self, tenant: str, before: int | None, limit: int) -> PolicyHistoryPage:
        """The tenant's plan versions, newest first, those before version `before` if given."""
        rows = await self.pool.fetch(POLICY_HISTORY, tenant, before, limit + 1)
        page = rows[:limit]
        items = [
            PolicyChangeOut(
                version=r["version"],
                position=r["position"],
                changed_by=r["changed_by"],
                recorded_by=r["recorded_by"],
                changed_at=r["changed_at"],
                policy=await self.version(tenant, r["version"]),
            )
            for r in page
        ]
        return PolicyHistoryPage(items=items, next=page[-1]["version"] if len(rows) > limit else None)

    def changed(self, tenant: str) -> None:
        """The tenant's plan changed (here, or in another process): read it again."""
        self._in_force.pop(tenant, None)
        self._changes[tenant] = self._changes.get(tenant, 0) + 1

    def _remember(self, tenant: str, version: int, document: str) -> Policy:
        policy = self._versions.get((tenant, version))
        if policy is None:
            policy = parse_policy(document.encode(), version)
            self._versions.put((tenant, version), policy, weight(document))
        return policy


LOCK_TENANT = "SELECT id FROM tenants WHERE id = $1 FOR UPDATE"
LATEST_VERSION = "SELECT coalesce(max(version), 0) FROM policies WHERE tenant_id = $1"
INSERT_POLICY = """
INSERT INTO policies (tenant_id, version, document, position, changed_by, changed_at)
VALUES ($1, $2, $3::jsonb, $4, $5, $6)
"""
POLICY_HISTORY = """
SELECT p.version, p.position, p.changed_by, p.changed_at, e.recorded_by, e.recorded_at
  FROM policies p JOIN events e ON e.tenant_id = p.tenant_id AND e.position = p.position
 WHERE p.tenant_id = $1 AND ($2::integer IS NULL OR p.version < $2)
 ORDER BY p.version DESC LIMIT $3
"""
POLICY_AT_POSITION = """
SELECT version FROM policies WHERE tenant_id = $1 AND position = $2
"""


async def append_change(
    store: EventStore,
    policies: PolicyStore,
    tenant: str,
    current_version: int,
    event: NewEvent,
    *,
    recorded_by: str,
    actor_verified: bool = False,
    idempotency: Idempotency | None = None,
) -> Appended | Replayed | Conflict:
    """Record a policy_changed event decided on `current_version` and its row, in one transaction;
    Conflict if the plan is no longer at that version (decide again, or 412 for If-Match)."""
    assert isinstance(event.data, PolicyChanged)
    async with store.pool.acquire() as conn, conn.transaction():
        # Serialize policy versions of the tenant (the append takes this lock again, harmlessly).
        await conn.execute(LOCK_TENANT, tenant)
        latest = await conn.fetchval(LATEST_VERSION, tenant)
        if latest != current_version:
            return Conflict(latest)
        result = await store.append(
            tenant,
            None,
            0,
            [event],
            recorded_by=recorded_by,
            actor_verified=actor_verified,
            idempotency=idempotency,
            conn=conn,
        )
        if isinstance(result, Appended):
            # The row restates the event (ledger.audit checks that they agree): who, when, what.
            await conn.execute(
                INSERT_POLICY,
                tenant,
                event.data.version,
                _json.encode(event.data.policy).decode(),
                result.events[0].position,
                event.actor,
                event.occurred_at,
            )
    assert isinstance(result, Appended | Replayed)  # (no stream: no conflict, no dedup)
    if isinstance(result, Appended):
        policies.changed(tenant)
        store.committed(tenant, result.events)
    return result


async def policy_at(policies: PolicyStore, tenant: str, position: int) -> Policy:
    """The version recorded by the policy_changed event at `position` (an Idempotency-Key's replay)."""
    async with policies.pool.acquire() as conn:
        version = await conn.fetchval(POLICY_AT_POSITION, tenant, position)
        return await policies.version(tenant, version, conn)

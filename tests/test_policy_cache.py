"""PolicyStore's parsed versions are bounded (by estimated bytes, least recently used first), and a
version evicted is read again from the table, the same as it was."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import pytest

from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.store.policies import PolicyStore, weight
from tests.conftest import new_tenant


def _document(version: int) -> dict[str, Any]:
    """A plan that says which version it is (a role of its own)."""
    document = policy_to_dict(DEFAULT_POLICY)
    document["roles"] = [*document["roles"], f"role_v{version}"]
    return document


async def _store_versions(pool: asyncpg.Pool, tenant: str, versions: range) -> int:
    """Rows for `versions` (as PUT /v1/policy writes them, minus the events); the weight of one."""
    for version in versions:
        await pool.execute(
            "INSERT INTO policies (tenant_id, version, document, position, changed_by, changed_at)"
            " VALUES ($1, $2::integer, $3::jsonb, $2::bigint, 'test', now())",
            tenant,
            version,
            msgspec.json.encode(_document(version)).decode(),
        )
    # (as the table gives a document back: jsonb text, which is what the store weighs)
    text = await pool.fetchval("SELECT document::text FROM policies WHERE tenant_id = $1 LIMIT 1", tenant)
    return weight(text)


def _is(policy: Any, version: int) -> bool:
    return policy.version == version and f"role_v{version}" in policy.roles


async def test_the_versions_held_stay_within_the_bound_and_an_evicted_one_is_read_again(pool):
    tenant = (await new_tenant(pool, "pcache")).name
    one = await _store_versions(pool, tenant, range(1, 7))
    store = PolicyStore(pool, max_bytes=3 * one + one // 2)  # room for three versions
    for version in range(1, 7):
        assert _is(await store.version(tenant, version), version)
        assert store._versions.weight <= store._versions.size
    assert len(store._versions) == 3

    store.pool = None  # type: ignore[assignment]  (from here on, a read of the table fails)
    for version in (6, 5, 4):  # the three most recently used: held
        assert _is(await store.version(tenant, version), version)
    with pytest.raises(AttributeError):
        await store.version(tenant, 1)  # evicted: it must be read again

    store.pool = pool
    assert _is(await store.version(tenant, 1), 1)  # read again, the same as before
    assert len(store._versions) == 3 and store._versions.weight <= store._versions.size
    store.pool = None  # type: ignore[assignment]
    assert _is(await store.version(tenant, 1), 1)  # now held again
    assert _is(await store.version(tenant, 4), 4)
    with pytest.raises(AttributeError):
        await store.version(tenant, 6)  # the least recently used (read 6, 5, 4, then 1) went out for it


async def test_a_preload_past_the_bound_keeps_the_newest_and_reads_the_others_on_its_connection(pool):
    tenant = (await new_tenant(pool, "pcache")).name
    one = await _store_versions(pool, tenant, range(1, 6))
    await pool.execute("DELETE FROM policies WHERE tenant_id = $1 AND version = 2", tenant)
    store = PolicyStore(None, max_bytes=2 * one + one // 2)  # type: ignore[arg-type]  (no pool at all)
    async with pool.acquire() as conn:
        await store.preload(tenant, conn)
        assert _is(await store.version(tenant, 5), 5) and _is(await store.version(tenant, 4), 4)
        assert await store.version(tenant, 2) is DEFAULT_POLICY  # not stored: answered without asking
        assert _is(await store.version(tenant, 1, conn), 1)  # evicted by the bound: read on `conn`
    assert len(store._versions) == 2


def test_a_larger_plan_weighs_more():
    small = msgspec.json.encode(policy_to_dict(DEFAULT_POLICY)).decode()
    large = msgspec.json.encode({**policy_to_dict(DEFAULT_POLICY), "roles": ["r"] * 10_000}).decode()
    assert weight(small) < 5_000 < weight(large) and weight(large) > len(large)

"""The benchmark's bulk tenant is left to the rebuild it measures: loaded with its projections'
checkpoints at its head, a running service's runner finds nothing to apply (and so its breach
watch no views to record notices on) until the rebuild has built them."""

from __future__ import annotations

import secrets

import asyncpg

from ledger.store.policies import PolicyStore
from projections.rebuild import rebuild_together
from projections.runner import catch_up, registry
from tests.benchmark import bulk

INCIDENTS = 30


async def test_a_tenant_loaded_caught_up_is_left_to_the_rebuild(pool: asyncpg.Pool) -> None:
    tenant = f"bulk-{secrets.token_hex(4)}"
    projections = registry(PolicyStore(pool))
    events = await bulk.load(pool, tenant, INCIDENTS, caught_up=list(projections))
    checkpoints = await pool.fetch(
        "SELECT projection, position FROM projection_checkpoints WHERE tenant_id = $1 ORDER BY projection", tenant
    )
    assert [(r["projection"], r["position"]) for r in checkpoints] == [(name, events) for name in sorted(projections)]
    assert await catch_up(pool, list(projections.values()), tenant, wait=False, folds=None) == 0
    views = "SELECT count(*) FROM incident_views WHERE tenant_id = $1"
    assert await pool.fetchval(views, tenant) == 0
    assert await rebuild_together(pool, list(projections.values()), tenant) == events
    assert await pool.fetchval(views, tenant) == INCIDENTS

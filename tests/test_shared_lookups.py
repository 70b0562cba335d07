"""Concurrent lookups of one key share one (ledger.shared_lookups): the API key cache and the plan
in force, refreshed once per process when they expire, not once per request in flight."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.service.access import Access, Revocations
from ledger.shared_lookups import SharedLookups
from ledger.store.keys import digest
from ledger.store.policies import PolicyStore
from tests.conftest import new_tenant


class _Lookup:
    """A lookup that answers when told to, counting its calls."""

    def __init__(self) -> None:
        self.answers: list[asyncio.Future[str]] = []

    @property
    def calls(self) -> int:
        return len(self.answers)

    async def __call__(self) -> str:
        self.answers.append(asyncio.get_running_loop().create_future())
        return await self.answers[-1]


async def test_callers_of_one_key_share_its_lookup_and_the_next_round_asks_again():
    lookups: SharedLookups[str, str] = SharedLookups()
    look_up = _Lookup()
    waiting = [asyncio.create_task(lookups.get("k", look_up)) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert look_up.calls == 1 and len(lookups) == 1
    look_up.answers[0].set_result("v")
    assert await asyncio.gather(*waiting) == ["v"] * 20
    assert len(lookups) == 0
    again = asyncio.create_task(lookups.get("k", look_up))
    await asyncio.sleep(0.01)
    assert look_up.calls == 2
    look_up.answers[1].set_result("w")
    assert await again == "w"


async def test_a_caller_that_gives_up_does_not_cancel_the_others_lookup():
    lookups: SharedLookups[str, str] = SharedLookups()
    look_up = _Lookup()
    first = asyncio.create_task(lookups.get("k", look_up))
    second = asyncio.create_task(lookups.get("k", look_up))
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.sleep(0.01)
    assert look_up.calls == 1
    look_up.answers[0].set_result("v")
    assert await second == "v"
    assert first.cancelled()


async def test_an_error_reaches_every_caller_and_forget_starts_a_new_lookup():
    lookups: SharedLookups[str, str] = SharedLookups()
    look_up = _Lookup()
    before = [asyncio.create_task(lookups.get("k", look_up)) for _ in range(3)]
    await asyncio.sleep(0.01)
    lookups.forget("k")
    after = asyncio.create_task(lookups.get("k", look_up))
    await asyncio.sleep(0.01)
    assert look_up.calls == 2  # (the caller after `forget` did not join the lookup before it)
    look_up.answers[1].set_result("new")
    assert await after == "new"
    assert not any(task.done() for task in before)
    look_up.answers[0].set_result("old")  # (the callers before `forget` get the lookup they joined)
    assert await asyncio.gather(*before) == ["old"] * 3

    failing: SharedLookups[str, str] = SharedLookups()

    async def broken() -> str:
        await asyncio.sleep(0.01)
        raise OSError("database down")

    outcomes = await asyncio.gather(*(failing.get("k", broken) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(o, OSError) for o in outcomes)
    assert len(failing) == 0


async def test_requests_that_find_a_key_expired_share_one_lookup(pool):
    tenant = await new_tenant(pool, "sl")
    access = Access(pool)
    token = tenant.keys["write"]
    principals = asyncio.gather(*(access.authenticate(token) for _ in range(30)))
    await asyncio.sleep(0)
    assert len(access.looking_up) == 1
    found = await principals
    assert {p.tenant for p in found if p is not None} == {tenant.name} and None not in found
    assert len(access.looking_up) == 0


async def test_a_key_revoked_while_a_lookup_is_in_flight_is_looked_up_again(pool):
    tenant = await new_tenant(pool, "slr")
    access = Access(pool)
    token = tenant.keys["read"]
    first = asyncio.create_task(access.authenticate(token))
    await asyncio.sleep(0)
    await pool.execute("UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1", tenant.name)
    Revocations(access).revoked([digest(token)])  # (its notice: every process forgets the key)
    access.found.pop(digest(token))  # (whatever the lookup before the notice brought back)
    assert await access.authenticate(token) is None
    await first


async def test_a_plan_change_is_seen_by_the_next_command_even_with_a_read_in_flight(pool):
    tenant = await new_tenant(pool, "slp")
    store = PolicyStore(pool)
    readers = [asyncio.create_task(store.in_force(tenant.name)) for _ in range(10)]
    await asyncio.sleep(0)
    document = policy_to_dict(DEFAULT_POLICY)
    document["roles"] = [*document["roles"], "role_v1"]
    await pool.execute(
        "INSERT INTO policies (tenant_id, version, document, position, changed_by, changed_at)"
        " VALUES ($1, 1, $2::jsonb, 1, 'test', now())",
        tenant.name,
        msgspec.json.encode(document).decode(),
    )
    store.changed(tenant.name)  # (as the process that changed it, or its notification, says)
    after = await store.in_force(tenant.name)
    assert after.version == 1 and "role_v1" in after.roles
    assert {p.version for p in await asyncio.gather(*readers)} <= {0, 1}
    # The read after the change is the one held: the next command takes it from memory.
    assert (await store.in_force(tenant.name)).version == 1


@pytest.mark.parametrize("concurrent", [1, 25])
async def test_the_plan_in_force_is_read_once_for_commands_in_flight(pool, concurrent):
    tenant = await new_tenant(pool, "slc")
    store = PolicyStore(pool)
    plans = asyncio.gather(*(store.in_force(tenant.name) for _ in range(concurrent)))
    await asyncio.sleep(0)
    assert len(store._reading) == 1  # (one read shared: the point of the test)
    assert {p.version for p in await plans} == {0}

"""The delivery worker looks for due work only when there can be some, and misses nothing for it.

Every process here is an app (or a worker) of its own on the module's database, each with its own
LISTEN connection: they learn of each other's events and webhook changes only through PostgreSQL.
The module's app delivers nothing (`webhook_concurrency=0`), so a delivery proves that the other
worker learned of a subscription made through it. The order of the tests matters: the first runs
while no tenant has a subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.feed import notifier
from ledger.http.app import create_app
from ledger.webhooks.delivery import RetryPolicy, Worker
from ledger.webhooks.due_work import DueWork
from tests.conftest import FAST_WEBHOOKS, Tenant, app_settings, detect_body, new_tenant
from tests.webhook_receiver import Receiver, wait_until

# Far longer than any wait below: what arrives, arrives without the worker's periodic look.
NO_TICK_S = 60.0


@pytest.fixture(scope="module")
def settings() -> Settings:
    return app_settings(**{**FAST_WEBHOOKS, "webhook_concurrency": 0})


@contextlib.asynccontextmanager
async def _worker(pool: asyncpg.Pool, database_url: str) -> AsyncIterator[DueWork]:
    """A delivery worker as a server process runs it, with its own listener, without the HTTP side."""
    wake = asyncio.Event()
    async with (
        notifier.running(database_url, pool) as listener,
        httpx.AsyncClient(timeout=httpx.Timeout(2), trust_env=False) as client,
    ):
        listener.on_webhooks = lambda _tenant: wake.set()
        worker = Worker(pool, client, RetryPolicy(base_s=0.05, max_s=0.3), allow_private=True)
        work = DueWork(pool, listener, wake, worker.serve, poll_s=NO_TICK_S, concurrency=4)
        task = asyncio.create_task(work.run())
        try:
            await asyncio.wait_for(listener.listening.wait(), 10)
            yield work
        finally:
            listener.close()
            await asyncio.wait([task], timeout=5)
            task.cancel()


async def _append(client: httpx.AsyncClient, tenant: Tenant, notes: int) -> None:
    r = await client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    assert r.status_code == 201, r.text
    for i in range(notes):
        note = await client.post(f"/v1/incidents/{r.json()['id']}/notes", json={"text": f"n{i}"}, headers=tenant.auth())
        assert note.status_code in (200, 201), note.text


async def _subscribe(client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver) -> dict:
    r = await client.post("/v1/webhooks", json={"url": receiver.url}, headers=tenant.auth("admin"))
    assert r.status_code == 201, r.text
    receiver.secret = r.json()["secret"]
    return r.json()


async def test_no_look_while_appends_flow_for_tenants_without_a_subscription(app_client, pool, database_url):
    assert await pool.fetchval("SELECT count(*) FROM webhook_subscriptions WHERE enabled") == 0
    quiet, subscriber = await new_tenant(pool, "quiet"), await new_tenant(pool, "sub")
    receiver = await Receiver().start()
    try:
        async with _worker(pool, database_url) as work:
            await _append(app_client, quiet, 30)
            await _append(app_client, subscriber, 5)
            await asyncio.sleep(0.3)  # (the other process's notifications have arrived)
            assert work.looks == 0 and work.subscribed == set()

            # A subscription made through the app (another process): the worker is told, looks.
            await _subscribe(app_client, subscriber, receiver)
            await wait_until(lambda: subscriber.name in work.subscribed, 5)
            await _append(app_client, subscriber, 2)
            await wait_until(lambda: len(receiver.accepted) == 3, 5)
            assert [d.event["type"] for d in receiver.accepted] == ["detected", "noted", "noted"]

            # The quiet tenant's appends still wake nobody here (once the look after the claim is made).
            await wait_until(lambda: not work.running, 5)
            await asyncio.sleep(0.3)
            looks = work.looks
            await _append(app_client, quiet, 20)
            await asyncio.sleep(0.3)
            assert work.looks == looks
            assert receiver.unverified == []
    finally:
        await receiver.stop()
        await pool.execute("UPDATE webhook_subscriptions SET enabled = false")  # (the next tests' own)


async def test_a_subscription_made_in_one_process_gets_events_appended_in_another_at_once(app_client, pool, settings):
    """The subscription through the module's app (which delivers nothing), events appended through
    another app: that one delivers them, and retries a failure when it is due, with no periodic
    look to find them (its poll is a minute)."""
    tenant = await new_tenant(pool, "cross")
    other = create_app(
        Settings(**{**settings.__dict__, "webhook_concurrency": 4, "webhook_poll_s": NO_TICK_S}), pool=pool
    )
    receiver = await Receiver(answer=lambda n, h, b: 500 if n == 1 else 200).start()
    try:
        async with LifespanManager(other):
            transport = httpx.ASGITransport(app=other)
            async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as there:
                await asyncio.sleep(0.5)  # (its worker has read which tenants subscribe: not this one)
                created = await _subscribe(app_client, tenant, receiver)
                started = time.monotonic()
                await _append(there, tenant, 3)
                await wait_until(lambda: len(receiver.accepted) == 4, 10)
                took = time.monotonic() - started
        assert took < NO_TICK_S / 4
        assert [d.status for d in receiver.attempts][:2] == [500, 200]
        assert [d.event["position"] for d in receiver.accepted] == [1, 2, 3, 4]
        state = (await app_client.get(f"/v1/webhooks/{created['id']}", headers=tenant.auth("admin"))).json()
        assert state["next_position"] == 5 and state["failing_since"] is None
    finally:
        await receiver.stop()

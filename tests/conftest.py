"""Shared fixtures: a real PostgreSQL (see tests/pg.py), a fresh database per module, the app over ASGI."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.http.app import create_app
from ledger.logs import configure
from ledger.store.database import create_pool
from ledger.store.keys import Scope, create_key
from tests import clock, pg

configure("console", "warning")

# The service's checkpoint key in tests (servers started by tests get it through the environment).
TEST_SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
os.environ.setdefault("LEDGER_SIGNING_KEY", TEST_SIGNING_KEY)
TEST_SIGNING_KEY = os.environ["LEDGER_SIGNING_KEY"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with pg.server_url() as url:
        yield url


@pytest.fixture(scope="module")
async def database_url(pg_server: str) -> AsyncIterator[str]:
    url = await pg.create_database(pg_server)
    yield url
    await pg.drop_database(pg_server, url)


def app_settings(**overrides: Any) -> Settings:
    """The settings every test app runs with, and a module's own on top (its `settings` fixture)."""
    # The breach watch is driven by its own tests; in the background it would race their assertions.
    return Settings(
        pool_min=1,
        pool_max=30,
        log_format="console",
        log_level="warning",
        breach_watch_interval_s=3600,
        **overrides,
    )


# Loopback receivers allowed (the SSRF guard has its own tests), deliveries and retries fast.
FAST_WEBHOOKS: dict[str, Any] = {
    "webhook_allow_private": True,
    "webhook_retry_base_s": 0.05,
    "webhook_retry_max_s": 0.3,
    "webhook_poll_s": 0.05,
    "webhook_timeout_s": 2,
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return app_settings(signing_key=TEST_SIGNING_KEY)


@pytest.fixture(scope="module")
async def pool(database_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, settings)
    yield p
    try:
        await p.close()
    except TimeoutError:  # (a connection that will not close in time on a loaded machine: the database is dropped next)
        p.terminate()


@pytest.fixture(scope="module")
async def app_client(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, pool=pool, clock=clock.now)
    # The transport gets the app itself, not manager.app: asgi-lifespan hands every request the
    # same `scope["state"]` dict, where Litestar caches per-request data (the parsed body).
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
            yield client


class Tenant:
    """A fresh tenant with one key per scope, for tests that must not see each other's data."""

    def __init__(self, name: str, keys: dict[str, str]) -> None:
        self.name = name
        self.keys = keys

    def auth(self, scope: str = "write") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


async def new_tenant(pool: asyncpg.Pool, prefix: str = "t") -> Tenant:
    name = f"{prefix}-{secrets.token_hex(4)}"
    keys: dict[str, str] = {}
    async with pool.acquire() as conn:
        for scope in Scope:
            keys[scope.name.lower()] = await create_key(conn, name, f"{scope.name.lower()}-key", scope)
    return Tenant(name, keys)


@pytest.fixture
async def tenant(pool: asyncpg.Pool) -> Tenant:
    return await new_tenant(pool)


def detect_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Viral complaint thread about exploding chargers",
        "severity": "sev2",
        "channel": "x",
        "scenario": "product-defect",
        "source_url": "https://x.com/someone/status/1",
        "reach": 120000,
    }
    body.update(overrides)
    return body

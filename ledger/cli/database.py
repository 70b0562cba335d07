"""The database a command works on: the configured one, or the embedded server (started for the
command and stopped after it), always migrated first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from ledger.config import Settings
from ledger.store.database import create_pool, embedded_running, start_embedded, stop_embedded
from ledger.store.migrate import migrate

T = TypeVar("T")


def database_url(settings: Settings) -> tuple[str, bool]:
    """The configured URL, or an embedded server's; True when this call started that server."""
    if settings.database_url:
        return settings.database_url, False
    started = not embedded_running(settings.data_dir)
    return start_embedded(settings.data_dir), started


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, timeout=10)


async def migrated(url: str) -> list[str]:
    """Apply the pending migrations; the names of those applied."""
    conn = await connect(url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def with_connection(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on one connection to the configured (or embedded) database, migrated first."""
    url, embedded = database_url(settings)

    async def run() -> T:
        await migrated(url)
        conn = await connect(url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(run())
    finally:
        if embedded:
            stop_embedded(settings.data_dir)


def with_pool(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `work` on a small pool of the configured (or embedded) database, migrated first."""
    url, embedded = database_url(settings)

    async def run() -> T:
        await migrated(url)
        pool = await create_pool(url, settings, min_size=1, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    finally:
        if embedded:
            stop_embedded(settings.data_dir)

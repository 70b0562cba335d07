"""Which process runs the background work that one process at a time should do.

The projection runner and the breach watch run in every server process (workers and replicas),
but only the one holding an advisory lock on the database does their rounds; the others ask for
it every round and take over within one round of the holder going away (its connection closes,
so PostgreSQL releases the lock). This is how Marten's async daemon picks its leader.

Correctness never depends on it: every projection batch and every SLA notice is already safe
with several processes at once (checkpoint row locks, `sla_notices` keys), and reads catch the
views up themselves. It saves repeated work: each process folds an incident's stream from the
fold it holds in memory (`projections.fold_cache`), so runs that went to whichever process came
first would each fold again what the others had applied since, and every process's breach watch
would probe every tenant.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from ledger.store.coordination import try_lock

log = structlog.get_logger(__name__)

# pg_try_advisory_lock's key for "the process that runs the background rounds" ('cled').
KEY = 0x636C6564


class Leader:
    """Whether this process leads: a session-level advisory lock, held on a connection of its own
    for as long as that connection lives. Without a URL to connect to (an app given a pool
    whose URL is not known), every process leads, as if there were no lock."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._asking = asyncio.Lock()  # (the runner and the breach watch ask concurrently)

    async def held(self) -> bool:
        """Whether this process leads now; if nobody does, take the lead."""
        if self.url is None:
            return True
        async with self._asking:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._held = False
                    self._conn = await asyncpg.connect(
                        self.url, timeout=10, server_settings={"application_name": "crisis-ledger-lead"}
                    )
                if not self._held:
                    self._held = await try_lock(self._conn, KEY, wait_s=10)
                    if self._held:
                        log.info("background_lead_taken")
                return self._held
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                # (the database is away: nobody's rounds can run; ask again next round)
                log.warning("background_lead_unknown", error=type(exc).__name__)
                await self._drop()
                return False

    async def close(self) -> None:
        """Give the lead up (closing the connection releases the lock)."""
        async with self._asking:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
            if not conn.is_closed():
                conn.terminate()

"""Who is calling, as whom they write, and how often: a presented API key becomes a Principal,
a write's actor is verified or claimed by its key, and each key's requests are counted against its
per-minute limit (shared by all processes through the database); and whether a key is still valid
for connections that outlive a request (`Revocations`). The key rows: ledger.store.keys."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import asyncpg
import structlog

from ledger.domain import identity
from ledger.domain.errors import InvalidValue, RateLimited
from ledger.lru import Lru
from ledger.shared_lookups import SharedLookups
from ledger.store.keys import (
    KEY_PREFIX,
    Principal,
    active_keys,
    count_hits,
    count_hits_of_keys,
    delete_old_windows,
    digest,
    find_key,
)

log = structlog.get_logger(__name__)

# A found key is trusted for this long without asking the database again: a key is looked up
# once per second per process instead of once per request, and a key revoked (by the CLI, in
# another process) is refused within this time.
KEY_CACHE_SECONDS = 1.0
# At most this many keys found, and this many keys' rate windows, held per process.
KEYS_HELD = 10_000
REPORT_EVERY_S = 0.2


@dataclass
class Window:
    """One key's current minute as this process knows it: the shared total, plus hits not yet reported."""

    start: float
    shared: int = 0
    pending: int = 0
    # Every hit this process counted in the window. A report takes the pending hits before its
    # answer brings them back in `shared`: meanwhile shared + pending leaves them out, and
    # this process's own count is still exact.
    counted: int = 0

    def total(self) -> int:
        """The key's hits in the window as far as this process knows: never fewer than its own."""
        return max(self.shared + self.pending, self.counted)

    def learn(self, hits: int, window_start: float) -> None:
        """The shared total the database answered to a report."""
        # (max: two reports in flight at once may answer out of order; another minute: its count rules)
        self.shared = max(self.shared, hits) if window_start == self.start else hits


def verified_actor(who: Principal, actor: str) -> bool:
    """Whether a write by `who` naming `actor` records a verified actor. A personal key writes as
    its person and as nobody else (InvalidValue on `actor`); an integration key's actor is claimed."""
    if who.person is None:
        return False
    if identity.name(actor, "actor") != who.person:  # (the person is kept NFC, as the rules keep names)
        raise InvalidValue(
            f"this is a personal key of {who.person}: its writes are recorded as {who.person}, not as {actor}",
            field="actor",
        )
    return True


class Access:
    """Keys and rate windows as this process knows them; one per app, made in its lifespan.

    `found`: presented key hash → its principal, trusted for KEY_CACHE_SECONDS (LRU, KEYS_HELD);
    requests that find it expired share one lookup (`looking_up`).
    `windows`: per key, the current minute's shared count and the hits not yet reported
    (KEYS_HELD keys; past that they are forgotten together, a new minute replaces a window).
    """

    def __init__(self, pool: asyncpg.Pool, per_minute: int = 0) -> None:
        self.pool = pool
        self.per_minute = per_minute
        self.found: Lru[bytes, tuple[Principal, float]] = Lru(KEYS_HELD)
        self.looking_up: SharedLookups[bytes, Principal | None] = SharedLookups()
        self.windows: dict[bytes, Window] = {}

    async def authenticate(self, token: str) -> Principal | None:
        """The principal for a presented key, or None. The stored hash is compared in constant time.

        With a limit (`per_minute` > 0) the request is counted against the key's window (shared
        by all processes through the database) and RateLimited is raised past the limit.
        """
        if not token.startswith(KEY_PREFIX) or len(token) > 200:
            return None
        presented = digest(token)
        principal = await self._principal(presented)
        if principal is None:
            return None
        if self.per_minute > 0:
            await self.count(presented)
        return principal

    async def _principal(self, presented: bytes) -> Principal | None:
        found = self.found.get(presented)
        if found is not None and found[1] > time.monotonic():
            return found[0]
        return await self.looking_up.get(presented, lambda: self._look_up(presented))

    async def _look_up(self, presented: bytes) -> Principal | None:
        now = time.monotonic()
        principal = await find_key(self.pool, presented)
        if principal is None:
            self.found.pop(presented)
        else:
            self.found.put(presented, (principal, now + KEY_CACHE_SECONDS))
        return principal

    async def count(self, key_hash: bytes) -> None:
        """Count one request; past the limit, RateLimited.

        Hits are reported to the database in batches, so the window costs a write per batch rather
        than per request: at once when a key's unreported hits reach 1% of the limit, and otherwise
        by `report_hits_forever`, every REPORT_EVERY_S, for every key in one statement. A process
        may let through at most one batch more than the limit before it learns of the others' hits.
        """
        wall = time.time()
        minute = wall - wall % 60
        window = self.windows.get(key_hash)
        if window is None or window.start != minute:
            if len(self.windows) >= KEYS_HELD:
                self.windows.clear()
            window = self.windows[key_hash] = Window(minute)
        window.pending += 1
        window.counted += 1
        retry_after = max(1, int(minute + 60 - wall))
        if window.pending >= max(1, self.per_minute // 100):
            sent, window.pending = window.pending, 0
            row = await count_hits(self.pool, key_hash, sent)
            retry_after = max(1, row["retry_after"])
            window.learn(row["hits"], row["window_start"].timestamp())
        if window.total() > self.per_minute:
            raise RateLimited(f"this key is limited to {self.per_minute} requests per minute", retry_after=retry_after)

    async def report_hits_forever(self, every_s: float = REPORT_EVERY_S) -> None:
        """Report every key's unreported hits, in one statement, every `every_s` (a background task)."""
        while True:
            await asyncio.sleep(every_s)
            due = [(key_hash, window) for key_hash, window in self.windows.items() if window.pending]
            if not due:
                continue
            sent = [window.pending for _, window in due]
            for _, window in due:
                window.pending = 0
            try:
                rows = await count_hits_of_keys(self.pool, [key_hash for key_hash, _ in due], sent)
            except Exception as exc:  # (a database outage, or anything else: this task must go on)
                log.warning("rate_limit_report_failed", error=type(exc).__name__)
                for (_, window), hits in zip(due, sent, strict=True):
                    window.pending += hits  # (the next round reports them)
                continue
            for row in rows:
                window = self.windows.get(row["key_hash"])
                if window is not None:
                    window.learn(row["hits"], row["window_start"].timestamp())


async def forget_old_windows(pool: asyncpg.Pool, interval: float = 300.0) -> None:
    """Housekeeping: drop rate-limit windows long past (the table only ever needs the current one)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await delete_old_windows(pool)
        except (OSError, asyncpg.PostgresError):
            pass  # the next round will do it


async def still_valid(pool: asyncpg.Pool, key_hash: bytes) -> bool:
    """Is the key (by its hash, `Principal.key_hash`) active now? Asked of the database, not the
    one-second cache: for a connection that outlives its request to check its key again."""
    return key_hash in await active_keys(pool, [key_hash])


class Revocations:
    """Connections that outlive a request (live feeds, and web sessions) watch the key they were
    opened with: `watch(key_hash, on_revoked)` calls `on_revoked` once when the key is revoked,
    here or in any other process; and `access` forgets the key at once.

    Told at once: `revoke_key` notifies every process at its commit (the notifier hands the
    notice to `revoked`). In case a notice is lost (the listening connection was down), `run`
    asks the database every `every_s` which watched keys are still active, in one statement for
    all of them, so a revoked key's connections end within that long in any case.
    """

    def __init__(self, access: Access) -> None:
        self.access = access
        self._watchers: dict[bytes, set[Callable[[], None]]] = {}

    @contextlib.contextmanager
    def watch(self, key_hash: bytes, on_revoked: Callable[[], None]) -> Iterator[None]:
        watchers = self._watchers.setdefault(key_hash, set())
        watchers.add(on_revoked)
        try:
            yield
        finally:
            watchers.discard(on_revoked)
            if not watchers and self._watchers.get(key_hash) is watchers:
                del self._watchers[key_hash]

    def watched(self) -> list[bytes]:
        return list(self._watchers)

    def revoked(self, key_hashes: Iterable[bytes]) -> None:
        """These keys were revoked: refuse them from the next request on, end their connections."""
        for key_hash in key_hashes:
            self.access.found.pop(key_hash)
            self.access.looking_up.forget(key_hash)  # (a lookup in flight may have begun before it)
            for on_revoked in self._watchers.pop(key_hash, set()):
                try:
                    on_revoked()
                except Exception:
                    log.exception("revocation_not_applied")

    async def run(self, every_s: float = 1.0) -> None:
        """Check the watched keys every `every_s` (a background task; see the class)."""
        while True:
            await asyncio.sleep(every_s)
            watched = self.watched()
            if not watched:
                continue
            try:
                active = await active_keys(self.access.pool, watched)
            except Exception as exc:  # (a database outage: keep the connections, check again)
                log.warning("revocation_check_failed", error=type(exc).__name__)
                continue
            self.revoked(k for k in watched if k not in active)

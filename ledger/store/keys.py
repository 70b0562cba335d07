"""API keys and tenants: keys are random, shown once, stored as sha256, looked up by that hash."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import IntEnum

import asyncpg
import structlog

from ledger.domain.errors import InvalidValue, NotFound, RateLimited

log = structlog.get_logger(__name__)

KEY_PREFIX = "clk_"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,127}$")


class Scope(IntEnum):
    """Ordered: each scope includes the ones below it."""

    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's tenant, name and scope."""

    tenant: str
    name: str
    scope: Scope


CREATE_TENANT = "INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING"
INSERT_KEY = "INSERT INTO api_keys (key_hash, tenant_id, name, scope) VALUES ($1, $2, $3, $4)"
REVOKE_KEY = """
UPDATE api_keys SET revoked_at = now()
 WHERE tenant_id = $1 AND name = $2 AND revoked_at IS NULL
RETURNING key_hash
"""
LOOKUP_KEY = """
SELECT key_hash, tenant_id, name, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
"""
# Adds a process's hits since its last report to the key's current window; answers the total.
COUNT_HITS = """
INSERT INTO rate_windows (key_hash, window_start, hits) VALUES ($1, date_trunc('minute', now()), $2)
ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = rate_windows.hits + excluded.hits
RETURNING hits, window_start, 60 - extract(second FROM now())::integer AS retry_after
"""
# The same for several keys at once (the periodic report of every key with hits to report).
COUNT_HITS_OF_KEYS = """
INSERT INTO rate_windows AS w (key_hash, window_start, hits)
SELECT k, date_trunc('minute', now()), h FROM unnest($1::bytea[], $2::integer[]) AS u(k, h)
ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = w.hits + excluded.hits
RETURNING key_hash, hits, window_start
"""
FORGET_OLD_WINDOWS = "DELETE FROM rate_windows WHERE window_start < now() - interval '10 minutes'"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_key(conn: asyncpg.Connection, tenant: str, name: str, scope: Scope) -> str:
    """Create the tenant if it is new, then a key; return the key (the only time it is visible)."""
    if not TENANT_PATTERN.match(tenant):
        raise InvalidValue(f"tenant must match {TENANT_PATTERN.pattern}")
    if not NAME_PATTERN.match(name):
        raise InvalidValue(f"key name must match {NAME_PATTERN.pattern}")
    token = new_token()
    async with conn.transaction():
        await conn.execute(CREATE_TENANT, tenant)
        try:
            await conn.execute(INSERT_KEY, digest(token), tenant, name, scope.name.lower())
        except asyncpg.UniqueViolationError as exc:
            raise InvalidValue(f"tenant {tenant} already has an active key named {name}") from exc
    return token


async def revoke_key(conn: asyncpg.Connection, tenant: str, name: str) -> int:
    """Revoke the tenant's active key(s) of that name; return how many."""
    rows = await conn.fetch(REVOKE_KEY, tenant, name)
    for row in rows:
        _found.pop(bytes(row["key_hash"]), None)
    if not rows:
        raise NotFound(f"tenant {tenant} has no active key named {name}")
    return len(rows)


# A found key is trusted for this long without asking the database again: a key is looked up
# once per second per process instead of once per request. `revoke_key` forgets it at once in
# its own process; other processes refuse it within this time.
KEY_CACHE_SECONDS = 1.0
_found: dict[bytes, tuple[Principal, float]] = {}


@dataclass
class _Window:
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


_windows: dict[bytes, _Window] = {}


async def authenticate(pool: asyncpg.Pool, token: str, per_minute: int = 0) -> Principal | None:
    """The principal for a presented key, or None. The stored hash is compared in constant time.

    With `per_minute` > 0 the request is counted against the key's window (shared by all
    processes through the database) and RateLimited is raised past the limit.
    """
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    presented = digest(token)
    now = time.monotonic()
    found = _found.get(presented)
    if found is not None and found[1] > now:
        principal = found[0]
    else:
        row = await pool.fetchrow(LOOKUP_KEY, presented)
        if row is None or not hmac.compare_digest(row["key_hash"], presented):
            _found.pop(presented, None)
            return None
        principal = Principal(row["tenant_id"], row["name"], Scope[row["scope"].upper()])
        if len(_found) > 10_000:
            _found.clear()
        _found[presented] = (principal, now + KEY_CACHE_SECONDS)
    if per_minute > 0:
        await _count(pool, presented, per_minute)
    return principal


async def _count(pool: asyncpg.Pool, key_hash: bytes, per_minute: int) -> None:
    """Count one request; past the limit, RateLimited.

    Hits are reported to the database in batches, so the window costs a write per batch rather
    than per request: at once when a key's unreported hits reach 1% of the limit, and otherwise
    by `report_hits_forever`, every REPORT_EVERY_S, for every key in one statement. A process
    may let through at most one batch more than the limit before it learns of the others' hits.
    """
    wall = time.time()
    minute = wall - wall % 60
    window = _windows.get(key_hash)
    if window is None or window.start != minute:
        if len(_windows) > 10_000:
            _windows.clear()
        window = _windows[key_hash] = _Window(minute)
    window.pending += 1
    window.counted += 1
    retry_after = max(1, int(minute + 60 - wall))
    if window.pending >= max(1, per_minute // 100):
        sent, window.pending = window.pending, 0
        row = await pool.fetchrow(COUNT_HITS, key_hash, sent)
        retry_after = max(1, row["retry_after"])
        window.learn(row["hits"], row["window_start"].timestamp())
    if window.total() > per_minute:
        raise RateLimited(f"this key is limited to {per_minute} requests per minute", retry_after=retry_after)


REPORT_EVERY_S = 0.2


async def report_hits_forever(pool: asyncpg.Pool, every_s: float = REPORT_EVERY_S) -> None:
    """Report every key's unreported hits, in one statement, every `every_s` (a background task)."""
    while True:
        await asyncio.sleep(every_s)
        due = [(key_hash, window) for key_hash, window in _windows.items() if window.pending]
        if not due:
            continue
        sent = [window.pending for _, window in due]
        for _, window in due:
            window.pending = 0
        try:
            rows = await pool.fetch(COUNT_HITS_OF_KEYS, [key_hash for key_hash, _ in due], sent)
        except Exception as exc:  # (a database outage, or anything else: this task must go on)
            log.warning("rate_limit_report_failed", error=type(exc).__name__)
            for (_, window), hits in zip(due, sent, strict=True):
                window.pending += hits  # (the next round reports them)
            continue
        for row in rows:
            window = _windows.get(row["key_hash"])
            if window is not None:
                window.learn(row["hits"], row["window_start"].timestamp())


async def forget_old_windows(pool: asyncpg.Pool, interval: float = 300.0) -> None:
    """Housekeeping: drop rate-limit windows long past (the table only ever needs the current one)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await pool.execute(FORGET_OLD_WINDOWS)
        except (OSError, asyncpg.PostgresError):
            pass  # the next round will do it

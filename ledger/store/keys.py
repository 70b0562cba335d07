"""API keys and tenants: keys are random, shown once, stored as sha256, looked up by that hash.

Authentication and rate limiting on top of these rows: ledger.service.access."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import IntEnum

import asyncpg
import msgspec

from ledger.domain import identity
from ledger.domain.errors import InvalidValue, NotFound
from schemas.api import Name

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
    """Who is calling: the key's tenant, name and scope, and for a personal key its person (and the
    key's hash: what long-lived connections watch for its revocation, ledger.service.access.Revocations)."""

    tenant: str
    name: str
    scope: Scope
    person: str | None = None
    key_hash: bytes = field(default=b"", repr=False, compare=False)

    @property
    def actor(self) -> str:
        """Who a write names when its body names nobody: the person, else the key's name."""
        return self.person if self.person is not None else self.name


TENANT_EXISTS = "SELECT 1 FROM tenants WHERE id = $1"
# The tenant's last feed position, kept by ledger_append as it numbers the events.
HEAD_POSITION = "SELECT head_position FROM tenants WHERE id = $1"
CREATE_TENANT = "INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING"
INSERT_KEY = "INSERT INTO api_keys (key_hash, tenant_id, name, scope, person) VALUES ($1, $2, $3, $4, $5)"
# Every server process listens on KEYS_CHANNEL (ledger.feed.notifier): told at the commit, each
# ends the revoked key's live feeds and forgets it from its key cache at once.
KEYS_CHANNEL = "ledger_keys"
REVOKE_KEY = f"""
WITH revoked AS (
    UPDATE api_keys SET revoked_at = now()
     WHERE tenant_id = $1 AND name = $2 AND revoked_at IS NULL
    RETURNING key_hash
)
SELECT key_hash, pg_notify('{KEYS_CHANNEL}', encode(key_hash, 'hex')) FROM revoked
"""
# Which of these keys are still active (the periodic check behind a lost notification).
ACTIVE_KEYS = "SELECT key_hash FROM api_keys WHERE key_hash = ANY($1::bytea[]) AND revoked_at IS NULL"
LOOKUP_KEY = """
SELECT key_hash, tenant_id, name, scope, person FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
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


async def count_hits(pool: asyncpg.Pool, key_hash: bytes, hits: int) -> asyncpg.Record:
    """Add a key's hits to its current minute; the window's shared total and when it ends."""
    return await pool.fetchrow(COUNT_HITS, key_hash, hits)


async def count_hits_of_keys(pool: asyncpg.Pool, key_hashes: list[bytes], hits: list[int]) -> list[asyncpg.Record]:
    """`count_hits` for many keys in one statement: each key's shared total in its window."""
    return await pool.fetch(COUNT_HITS_OF_KEYS, key_hashes, hits)


async def delete_old_windows(pool: asyncpg.Pool) -> None:
    await pool.execute(FORGET_OLD_WINDOWS)


async def tenant_exists(conn: asyncpg.Connection, tenant: str) -> bool:
    return bool(await conn.fetchval(TENANT_EXISTS, tenant))


async def head_position(conn: asyncpg.Connection | asyncpg.Pool, tenant: str) -> int:
    """The tenant's last feed position: 0 before its first event (or for a tenant not known)."""
    return int(await conn.fetchval(HEAD_POSITION, tenant) or 0)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _person(value: str) -> str:
    """A personal key's person as the ledger keeps it: what its writes record as `actor`, so it
    must be a name an actor may be (any script, NFC; e.g. an email address)."""
    try:
        return identity.name(msgspec.convert(value, Name), "person")
    except msgspec.ValidationError as exc:
        raise InvalidValue(f"person: {exc}", field="person") from exc


async def create_key(conn: asyncpg.Connection, tenant: str, name: str, scope: Scope, person: str | None = None) -> str:
    """Create the tenant if it is new, then a key; return the key (the only time it is visible).
    With `person`, a personal key: its writes are recorded as that person's, verified."""
    if not TENANT_PATTERN.match(tenant):
        raise InvalidValue(f"tenant must match {TENANT_PATTERN.pattern}")
    name = identity.name(name, "name")  # (says which character, before the pattern refuses it)
    if not NAME_PATTERN.match(name):
        raise InvalidValue(f"key name must match {NAME_PATTERN.pattern}")
    if person is not None:
        person = _person(person)
    token = new_token()
    async with conn.transaction():
        await conn.execute(CREATE_TENANT, tenant)
        try:
            await conn.execute(INSERT_KEY, digest(token), tenant, name, scope.name.lower(), person)
        except asyncpg.UniqueViolationError as exc:
            raise InvalidValue(f"tenant {tenant} already has an active key named {name}") from exc
    return token


async def revoke_key(conn: asyncpg.Connection, tenant: str, name: str) -> int:
    """Revoke the tenant's active key(s) of that name; return how many. Every server process is
    told at the commit (KEYS_CHANNEL): it refuses the key and ends its live feeds at once (and
    within a second if the notice is lost: ledger.service.access.Revocations)."""
    rows = await conn.fetch(REVOKE_KEY, tenant, name)
    if not rows:
        raise NotFound(f"tenant {tenant} has no active key named {name}")
    return len(rows)


async def find_key(pool: asyncpg.Pool, presented: bytes) -> Principal | None:
    """The principal of an active key by its hash, or None. The stored hash is compared in constant time."""
    row = await pool.fetchrow(LOOKUP_KEY, presented)
    if row is None or not hmac.compare_digest(row["key_hash"], presented):
        return None
    return Principal(row["tenant_id"], row["name"], Scope[row["scope"].upper()], row["person"], bytes(row["key_hash"]))


async def active_keys(pool: asyncpg.Pool, key_hashes: list[bytes]) -> set[bytes]:
    """Those of `key_hashes` whose keys are active (not revoked), asked of the database now."""
    rows = await pool.fetch(ACTIVE_KEYS, key_hashes)
    return {bytes(row["key_hash"]) for row in rows}

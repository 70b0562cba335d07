"""Sign-in to the crisis room: an API key becomes a browser session, and each request's session
becomes the key's Principal again, or nothing.

The cookie holds `<tenant>.<random id>`; the table keeps only the id's sha256 (ledger.store.web_sessions).
A session is as good as its key: every request looks the key up again (ledger.store.keys.find_key,
one index probe; not the API's one-second cache), so a revoked key ends its sessions at once.
Sessions never authenticate the API (/v1 stays bearer-only); they only open the web pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from ledger.store import web_sessions
from ledger.store.keys import KEY_PREFIX, TENANT_PATTERN, Principal, digest, find_key


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who (the key's principal), its CSRF token, when it ends."""

    principal: Principal
    csrf_token: str
    expires_at: datetime
    cookie: str


def _id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def _split(cookie: str) -> tuple[str, str] | None:
    tenant, _, session_id = cookie.partition(".")
    if not TENANT_PATTERN.match(tenant) or not 20 <= len(session_id) <= 100:
        return None
    return tenant, session_id


async def sign_in(pool: asyncpg.Pool, token: str, now: datetime, lasts: timedelta) -> WebSession | None:
    """A new session for an active key, or None for an unknown or revoked one."""
    token = token.strip()
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key_hash = digest(token)
    principal = await find_key(pool, key_hash)
    if principal is None:
        return None
    session_id, csrf = secrets.token_urlsafe(32), new_token()
    expires = now + lasts
    await web_sessions.insert(
        pool,
        principal.tenant,
        _id_hash(session_id),
        key_hash,
        principal.name,
        principal.scope.name.lower(),
        csrf,
        now,
        expires,
    )
    return WebSession(principal, csrf, expires, f"{principal.tenant}.{session_id}")


async def resume(pool: asyncpg.Pool, cookie: str | None, now: datetime) -> WebSession | None:
    """The session a cookie names, if it has not expired and its key is still active."""
    parts = _split(cookie or "")
    if parts is None:
        return None
    tenant, session_id = parts
    row = await web_sessions.find(pool, tenant, _id_hash(session_id), now)
    if row is None:
        return None
    principal = await find_key(pool, row.key_hash)
    if principal is None or principal.tenant != tenant:
        await web_sessions.delete(pool, tenant, _id_hash(session_id))  # the key was revoked: so is the session
        return None
    return WebSession(principal, row.csrf_token, row.expires_at, cookie or "")


async def sign_out(pool: asyncpg.Pool, cookie: str) -> None:
    parts = _split(cookie)
    if parts is not None:
        await web_sessions.delete(pool, parts[0], _id_hash(parts[1]))


def new_token() -> str:
    """A random token (a form's CSRF token before sign-in)."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str, presented: str) -> bool:
    """Compared in constant time; an empty token never matches."""
    return bool(expected) and bool(presented) and hmac.compare_digest(expected.encode(), presented.encode())


def csrf_ok(session: WebSession, presented: str | None) -> bool:
    """Does a form's token match the session's?"""
    return tokens_match(session.csrf_token, presented or "")

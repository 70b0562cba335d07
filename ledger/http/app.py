"""The Litestar application: resources made in the lifespan, handed to handlers by dependency injection."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import asyncpg
import structlog
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.problem_details import ProblemDetailsPlugin

from ledger.audit import checkpoints
from ledger.clock import Clock, utc_now
from ledger.config import Settings
from ledger.feed import notifier
from ledger.feed.fanout import Fanout
from ledger.feed.payloads import Payload
from ledger.http import bodies, openapi, problems, web
from ledger.http.audit import AuditController
from ledger.http.auth import authorize
from ledger.http.edge import wrap
from ledger.http.feed import read_feed
from ledger.http.health import healthz, readyz
from ledger.http.incident_pages import IncidentPagesController
from ledger.http.incidents import IncidentController
from ledger.http.policy import policy_history, policy_what_if, read_policy, replace_policy
from ledger.http.problems import problem
from ledger.http.replies import review_reply
from ledger.http.reports import report_coverage, report_sla
from ledger.http.review import read_review
from ledger.http.shutdown import before_stop, ignore_interrupts, replay_early_stop, wake_signal_pipe
from ledger.http.signals import receive_signal
from ledger.http.stream import frame_of, stream_events
from ledger.http.web.board_markup import BoardMarkup
from ledger.http.webhooks import WebhookController
from ledger.metrics import DatabaseSeries, metrics
from ledger.service.access import Access, Revocations, forget_old_windows
from ledger.service.command_runner import Shell
from ledger.service.incident_reads import IncidentReader
from ledger.service.review_queue import ReviewQueue
from ledger.store import gauges
from ledger.store.database import close_pool, create_pool, url_of
from ledger.store.events import EventStore
from ledger.store.migrate import migrate
from ledger.store.policies import PolicyStore
from ledger.store.webhooks import WebhookStore
from ledger.webhooks import delivery
from ledger.workers import breach_watch, projection_loop
from ledger.workers.leader import Leader
from projections.fold_cache import FoldCache
from projections.runner import registry
from schemas.events import PolicyChanged

log = structlog.get_logger(__name__)

_TEMPLATE_PARAM = re.compile(r"\{(\w+):[^}]+\}")


def _is_instant(schema: Any) -> bool:
    """Does this parameter schema (or a member of its oneOf) say `format: date-time`?"""
    if schema is None:
        return False
    fmt = getattr(schema, "format", None)
    if getattr(fmt, "value", fmt) == "date-time":
        return True
    return any(_is_instant(s) for s in getattr(schema, "one_of", None) or [])


def _query_names(app: Litestar) -> dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]]:
    """Per operation, the query parameters its OpenAPI document declares, and which are instants."""
    names: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {}
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is not None:
                query = [p for p in operation.parameters or [] if getattr(p, "param_in", None) == "query"]
                instants = {p.name for p in query if _is_instant(p.schema)}
                names[(method.upper(), path)] = (frozenset(p.name for p in query), frozenset(instants))
    return names


# RFC 3339 date-time, as the document promises (a bare number is not a time, whatever a parser
# might make of it).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _known_query_only(request: Request[Any, Any, Any]) -> None:
    """400 for a query parameter the operation does not have: `?severty=sev1` must not list everything."""
    if not request.query_params:
        return
    state = request.app.state
    if "query_names" not in state:
        state.query_names = _query_names(request.app)
    template = _TEMPLATE_PARAM.sub(r"{\1}", request.scope.get("path_template", request.url.path))
    declared = state.query_names.get((request.method, template))
    if declared is None:
        return
    allowed, instants = declared
    for name in instants & set(request.query_params):
        for value in request.query_params.getall(name):
            if not _RFC3339.match(value):
                raise problem(
                    400,
                    "invalid-parameter",
                    "A query, path or header parameter is invalid",
                    f"{name} must be an RFC 3339 date-time with a zone, e.g. 2026-11-24T09:30:00Z",
                )
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise problem(
            400,
            "invalid-parameter",
            "A query, path or header parameter is invalid",
            f"unknown query parameter(s): {', '.join(unknown)}; "
            f"this operation takes: {', '.join(sorted(allowed)) or 'none'}",
        )


async def _check_request(request: Request[Any, Any, Any]) -> None:
    # (async: Litestar would run a plain function in a worker thread, for every request.)
    await authorize(request)
    _known_query_only(request)
    if bodies.json_only(request):
        bodies.no_repeated_keys(await request.body())


POLICY_CHANGED = PolicyChanged.__struct_config__.tag


def _learn(shell: Shell, policies: PolicyStore, message: Payload) -> None:
    """What another process committed: fold it onto the states held; a plan change is read again."""
    shell.learn(message.tenant, message.changes, message.too_large)
    if POLICY_CHANGED in message.tenant_events:
        policies.changed(message.tenant)


def _lifespan(
    settings: Settings, url: str | None, pool: asyncpg.Pool | None, own_signals: bool, clock: Clock
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the pool (its own, or the given one), the notifier and the feeds, the
    background workers; on the way out the live feeds end first, then the workers."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        own = pool is None
        if own:
            assert url, "a database URL is needed"
        if own_signals:
            ignore_interrupts()
            wake_signal_pipe()
        async with AsyncExitStack() as stack:
            app.state.pool = await create_pool(url, settings) if own else pool
            if own:
                stack.push_async_callback(close_pool, app.state.pool)
            # One LISTEN connection per process wakes the live feeds and the webhook worker.
            listen_url = url if own else url_of(app.state.pool)
            await _open(app.state, stack, settings, clock, listen_url, own_signals)
            background = _start_workers(app.state, settings, clock)
            if own_signals:
                replay_early_stop()
            try:
                yield
            finally:
                # Open live feeds end first (the notifier's close wakes them), then the workers.
                app.state.notifier.close()
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                log.info("background_stopped")
        log.info("lifespan_closed")  # (the lead, the notifier and the pool closed: the process may exit)

    return lifespan


def create_app(
    settings: Settings,
    database_url: str | None = None,
    pool: asyncpg.Pool | None = None,
    *,
    own_signals: bool = False,
    clock: Clock = utc_now,
) -> Litestar:
    """The app. Given a `pool`, it uses (and does not close) it; else it connects to the URL.

    `own_signals` (for the server process, not for apps embedded in tests): on SIGTERM/SIGINT,
    end the live streams before the server's own handling, so a draining server can stop.
    `clock`: what time it is for every command, read, report and the breach watch (tests move it).
    """
    lifespan = _lifespan(settings, database_url or settings.database_url, pool, own_signals, clock)
    app = Litestar(
        # (The crisis room's routers are made for each app: a Router belongs to the app it is in.)
        route_handlers=[*ROUTES, web.router(), web.static_router()],
        template_config=web.template_config(),
        dependencies={name: _from_state(name) for name in _DEPENDENCIES},
        lifespan=[lifespan],
        plugins=[ProblemDetailsPlugin(problems.CONFIG)],
        exception_handlers={Exception: problems.internal_error},
        before_request=_check_request,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=_openapi_config(),
        logging_config=None,
        debug=False,
    )
    openapi.conform(app)
    wrap(
        app,
        settings.request_timeout_s,
        ("/v1/events/stream", "/v1/audit/export", "/v1/audit/verify", "/live"),
        until_started=("/v1/policy/what-if", "/plan/preview"),
    )
    return app


ROUTES = [
    IncidentController,
    IncidentPagesController,
    read_review,
    read_feed,
    stream_events,
    receive_signal,
    review_reply,
    WebhookController,
    AuditController,
    read_policy,
    replace_policy,
    policy_history,
    policy_what_if,
    report_sla,
    report_coverage,
    healthz,
    readyz,
    metrics,
]

# What handlers are handed by name: resources the lifespan puts in the app's state.
_DEPENDENCIES = (
    "store",
    "shell",
    "clock",
    "queries",
    "policies",
    "reviews",
    "settings",
    "notifier",
    "fanout",
    "webhooks",
    "signer",
    "revocations",
)


def _from_state(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state, name)

    return Provide(provide, sync_to_thread=False)


async def _open(
    state: State, stack: AsyncExitStack, settings: Settings, clock: Clock, listen_url: str, own_signals: bool
) -> None:
    """Migrate, then make the stores, the services and the notifier into `state` (closed by `stack`)."""
    if settings.migrate_on_start:
        async with state.pool.acquire() as conn:
            await migrate(conn)
    store = EventStore(state.pool)
    policies = PolicyStore(state.pool)
    state.store = store
    state.policies = policies
    state.access = Access(state.pool, settings.rate_limit_per_minute)
    state.projections = registry(policies, settings.snapshot_every)
    state.clock = clock
    # The process's one fold cache: the shell, the incident reads and the runner share it.
    state.folds = FoldCache(settings.fold_cache_mb * 2**20)
    state.board_markup = BoardMarkup()  # (the board's rows' frames: ledger/http/web/board_markup.py)
    # The process's one review queue: the drafts of one turn of the loop judged back to back.
    state.reviews = ReviewQueue()
    state.shell = Shell(store, policies, clock, state.folds)
    state.queries = IncidentReader(store, policies, state.projections, state.folds)
    state.settings = settings
    state.metrics_series = DatabaseSeries(partial(gauges.database_figures, state.pool), settings.metrics_cache_s)
    state.signer = checkpoints.load_signer(settings)
    state.webhooks = WebhookStore(state.pool)
    state.webhook_wake = asyncio.Event()
    state.notifier = await stack.enter_async_context(
        notifier.running(listen_url, state.pool, pace_s=settings.stream_pace_s)
    )
    store.on_append = state.notifier.announce
    # What the process's live feeds share (one read per position, one frame per event).
    state.fanout = Fanout(frame_of)
    state.notifier.on_remote = partial(_learn, state.shell, policies)
    # Revoked keys (told by any process) are refused at once and end their live feeds (and the
    # web sessions that watch them).
    state.revocations = Revocations(state.access)
    state.notifier.on_revoked = state.revocations.revoked
    # A webhook change in any process: this process's delivery worker reads which tenants it serves.
    state.notifier.on_webhooks = lambda _tenant: state.webhook_wake.set()
    if own_signals:
        before_stop(state.notifier.close)
    # One process at a time runs the projection runner's and the breach watch's rounds.
    state.lead = Leader(listen_url)
    stack.push_async_callback(state.lead.close)


def _start_workers(state: State, settings: Settings, clock: Clock) -> list[asyncio.Task[Any]]:
    """The process's background tasks: rate windows, the revocation check, the projection runner,
    the breach watch, checkpoint signing and webhook delivery."""
    delivery_policy = delivery.RetryPolicy(
        base_s=settings.webhook_retry_base_s,
        max_s=settings.webhook_retry_max_s,
        disable_after_s=settings.webhook_disable_after_s,
    )
    return [
        asyncio.create_task(forget_old_windows(state.pool)),
        asyncio.create_task(state.access.report_hits_forever()),
        asyncio.create_task(state.revocations.run()),
        asyncio.create_task(
            projection_loop.run_forever(
                state.pool, state.projections, state.folds, settings.projection_interval_s, state.lead
            )
        ),
        asyncio.create_task(
            breach_watch.run_forever(
                state.pool,
                state.store,
                state.projections["incident_views"],
                timedelta(seconds=settings.sla_warning_seconds),
                settings.breach_watch_interval_s,
                state.lead,
                clock=clock,
                policies=state.policies,
                folds=state.folds,
            )
        ),
        asyncio.create_task(checkpoints.run_forever(state.pool, state.signer, settings.checkpoint_interval_s)),
        asyncio.create_task(
            delivery.run_forever(
                state.pool,
                state.notifier,
                state.webhook_wake,
                policy=delivery_policy,
                allow_private=settings.webhook_allow_private,
                timeout_s=settings.webhook_timeout_s,
                poll_s=settings.webhook_poll_s,
                concurrency=settings.webhook_concurrency,
                policies=state.policies,
                public_url=settings.public_url,
            )
        ),
    ]


def _openapi_config() -> OpenAPIConfig:
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API key from `crisis-ledger keys create`, as `Authorization: Bearer <key>`.",
    )
    return OpenAPIConfig(
        title="crisis-ledger",
        version="1.0.0",
        description="Event-sourced incident ledger for social media crisis response.",
        path="/schema",
        security=[{"apiKey": []}],
        components=Components(security_schemes={"apiKey": bearer}),
    )

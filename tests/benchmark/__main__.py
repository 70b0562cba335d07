"""`python -m tests.benchmark [--quick] [--out FILE]`: the service against this machine's own limits.

It starts what it needs (an embedded PostgreSQL unless LEDGER_DATABASE_URL names a server; the
baseline apps and the service as real granian processes with production settings), loads data,
measures the baselines and the service in the same run, prints one table with the ratios to the
targets and writes it all as JSON. Every loop is bounded in count and in time; only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

from ledger import logs
from ledger.config import Settings
from ledger.store.database import create_pool
from ledger.store.keys import Scope, create_key
from ledger.store.migrate import migrate
from tests import pg
from tests.benchmark import apps, board, bulk, followers, postincident, review, viral
from tests.benchmark import tenants as tenants_part
from tests.benchmark.client import Connection, latency_figures, one_at_a_time, percentile
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
# What `--only` can name: the baselines, then the parts run against the service (SERVICE_PARTS),
# then the reply appends with the review on and off (servers of their own, the service stopped),
# then many tenants (nine more bulk tenants loaded with the service stopped, then measured again).
SERVICE_PARTS = ("service", "followers", "viral", "postincident", "bulk", "board")
PARTS = ("baselines", *SERVICE_PARTS, "review", "tenants")
# A part compared with the figures of others measures them too when it is named alone.
REQUIRES = {"tenants": ("baselines", "service", "bulk")}
TARGETS = {
    "append_vs_post_insert": 0.6,
    "append_p99_vs_baseline_p99": 2.0,
    "report_p99_ms": 200.0,
    "rebuild_vs_scan": 0.3,
    "verify_vs_scan": 0.5,
    "feed_lag_p99_ms": 50.0,
    "reply_append_review_on_vs_off": 0.9,
    "review_p99_ms": 50.0,
    "followers_lag_p99_ms": 100.0,
    "followers_missed_or_repeated": 0,
    "followers_rss_per_follower_kb": 64.0,
    "followers_append_with_vs_without": 0.8,
    "viral_rss_growth_mb": 200.0,
    "tenants_report_p99_vs_alone": 1.2,
    "tenants_append_ratio_vs_empty": 0.9,
    "board_render_p99_ms": 150.0,
    "board_visible_p99_ms": 1000.0,
}
# The targets that are bounds from above (the rest are floors).
AT_MOST = ("_ms", "p99_vs_baseline_p99", "p99_vs_alone", "_kb", "_mb", "missed_or_repeated")


# ------------------------------------------------------------------------------ processes


@contextlib.contextmanager
def granian(target: str, env: dict[str, str], workers: int) -> Iterator[str]:
    """A granian server for `target` on a free port, run as `crisis-ledger serve` runs the service."""
    port = free_port()
    cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--no-access-log", target]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        if proc.poll() is None:
            proc.kill()


@contextlib.contextmanager
def service(url: str, workers: int) -> Iterator[str]:
    """The real thing: `crisis-ledger serve` with production settings (JSON logs at warning)."""
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": str(workers),
        "LEDGER_LOG_LEVEL": "warning",
        "LEDGER_LOG_FORMAT": "json",
        "LEDGER_RATE_LIMIT_PER_MINUTE": "1000000",  # counted (as in production), never reached
        "LEDGER_STREAM_POLL_MS": "1000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc, path="/readyz")
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        if proc.poll() is None:
            proc.kill()


def _wait_up(base: str, proc: subprocess.Popen[bytes], path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def _host_port(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


# ------------------------------------------------------------------------------ load


async def load(
    base: str,
    clients: int,
    seconds: float,
    max_requests: int,
    make: Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]],
) -> dict[str, Any]:
    """`clients` keep-alive connections issue `make(client, i)` requests until time or count runs out."""
    host, port = _host_port(base)
    latencies: list[float] = []
    errors: dict[int, int] = {}
    stop_at = time.perf_counter() + seconds
    budget = [max_requests]

    async def client(c: int) -> None:
        conn = await Connection(host, port).open()
        i = 0
        try:
            while time.perf_counter() < stop_at and budget[0] > 0:
                budget[0] -= 1
                method, path, body, headers = make(c, i)
                reply = await conn.request(method, path, body, headers)
                i += 1
                if 200 <= reply.status < 300:
                    latencies.append(reply.seconds)
                else:
                    errors[reply.status] = errors.get(reply.status, 0) + 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


async def raw_inserts(url: str, connections: int, seconds: float, max_rows: int) -> dict[str, Any]:
    """Single-row INSERTs into an event-shaped table, one connection per client."""
    conns = [await asyncpg.connect(url) for _ in range(connections)]
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    budget = [max_rows]
    data = json.dumps({"text": "a note of ordinary length", "kind": "note"})

    async def worker(conn: asyncpg.Connection) -> None:
        stmt = await conn.prepare(
            "INSERT INTO bench_events (tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at,"
            " actor, recorded_by, data, prev_hash, hash) VALUES ('bench', nextval('bench_positions'), $1, $2, 1,"
            " 'noted', now(), now(), 'a', 'b', $3::jsonb, $4, $4)"
        )
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            t0 = time.perf_counter()
            await stmt.fetch(uuid.uuid4(), uuid.uuid4(), data, "0" * 64)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    elapsed = time.perf_counter() - started
    return {
        "rows": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


async def raw_scan(pool: asyncpg.Pool, tenant: str, max_seconds: float) -> dict[str, Any]:
    """A sequential read of the tenant's events with every column, `data` decoded with msgspec."""
    decode = msgspec.json.Decoder().decode
    rows = 0
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        cursor = conn.cursor(
            "SELECT tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
            " recorded_by, data::text AS data, prev_hash, hash FROM events WHERE tenant_id = $1 ORDER BY position",
            tenant,
            prefetch=5000,
        )
        async for row in cursor:
            decode(row["data"])
            rows += 1
            if rows % 50_000 == 0 and time.perf_counter() - started > max_seconds:
                break
    elapsed = time.perf_counter() - started
    return {"rows": rows, "seconds": round(elapsed, 2), "per_second": round(rows / elapsed, 1)}


_CHECKOUT = Path(__file__).resolve().parents[2]


class FeedFollower:
    """`tests.benchmark.follow` in a process of its own, collecting what it received."""

    def __init__(self, base: str, key: str, max_seconds: float) -> None:
        self.args = (base, key, str(max_seconds))
        self.received: list[tuple[float, int, float]] = []

    async def __aenter__(self) -> FeedFollower:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.benchmark.follow",
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            cwd=_CHECKOUT,  # (where `tests` is importable)
        )
        self.reading = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            at, position, lag = line.split()
            self.received.append((float(at), int(position), float(lag)))

    async def __aexit__(self, *exc: object) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
        await self.proc.wait()
        await self.reading

    def between(self, start: float, end: float) -> list[tuple[float, int, float]]:
        """(receipt time, position, seconds since recorded_at) of the events received in [start, end]."""
        return [r for r in self.received if start <= r[0] <= end]


# ------------------------------------------------------------------------------ the run


async def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": _machine(), "settings": {}, "baselines": {}, "service": {}}
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        for name in ("server_version", "shared_buffers", "synchronous_commit", "fsync", "max_connections",
                     "wal_level", "max_wal_size", "checkpoint_timeout", "work_mem",
                     "track_commit_timestamp"):  # fmt: skip
            results["settings"][name] = await conn.fetchval(f"SHOW {name}")
        await conn.execute(apps.TABLES)
    finally:
        await conn.close()
    _say("database", results["settings"])
    pool = await create_pool(url, Settings(pool_min=2, pool_max=8))
    try:
        # Baselines: the database alone, then HTTP alone, then HTTP plus one INSERT.
        if want(args, "baselines"):
            await _baselines(url, args, results)
        # The service.
        tenants = await new_tenants(pool, 10)
        if any(want(args, part) for part in SERVICE_PARTS):
            with service(url, args.workers) as base:
                results["service"].update(await _service(base, pool, tenants, args))
        if want(args, "review"):
            await _review_appends(url, pool, args, results)
        if want(args, "tenants"):
            await pool.close()  # (it copies the database, which no session may have open)
            hooks = tenants_part.Bench(
                service, granian, load, _settle, quiet, open_incidents, append_mix, new_tenants, _say
            )
            await tenants_part.measure(url, args, tenants, results, hooks)
    finally:
        await pool.close()
    results["ratios"] = _ratios(results)
    return results


async def _review_appends(url: str, pool: asyncpg.Pool, args: argparse.Namespace, results: dict[str, Any]) -> None:
    """With the service stopped: reply appends with the review on and off, through HTTP and in process."""
    async with pool.acquire() as c:
        reviewer = f"bench-review-{uuid.uuid4().hex[:8]}"
        key = await create_key(c, reviewer, "bench", Scope.WRITE)
    results["service"]["reply_append_review_http"] = await review.reply_appends_http(url, key, args, granian, load)
    _say("reply append, review on against off (HTTP)", results["service"]["reply_append_review_http"])
    rounds, per_round = (2, 200) if args.quick else (6, 1000)
    results["service"]["reply_append_review"] = await review.reply_append_ratio(
        pool, reviewer, rounds=rounds, per_round=per_round, concurrency=8
    )
    _say("reply append, review on against off (in-process)", results["service"]["reply_append_review"])


async def _baselines(url: str, args: argparse.Namespace, results: dict[str, Any]) -> None:
    seconds = args.seconds
    for c in (16, 64):
        results["baselines"][f"raw_insert_{c}"] = await raw_inserts(url, c, seconds, 200_000)
        _say(f"raw INSERT, {c} connections", results["baselines"][f"raw_insert_{c}"])
    env = {"BENCH_DATABASE_URL": url, "BENCH_POOL_MAX": "20"}
    note = msgspec.json.encode({"text": "a note of ordinary length", "actor": "bench"})
    with granian("tests.benchmark.apps:create", env, args.workers) as base:
        post = lambda c, i: ("POST", "/noop", note, {})  # noqa: E731
        insert = lambda c, i: ("POST", "/insert", note, {})  # noqa: E731
        await load(base, args.clients, 1, 2000, post)  # warm-up
        results["baselines"]["post_noop"] = await load(base, args.clients, seconds, 500_000, post)
        _say("no-op POST", results["baselines"]["post_noop"])
        results["baselines"]["post_insert"] = await load(base, args.clients, seconds, 500_000, insert)
        _say("POST + INSERT", results["baselines"]["post_insert"])


async def _service(base: str, pool: asyncpg.Pool, tenants: list[tuple[str, str]], args: argparse.Namespace) -> dict:
    """The parts measured against a running service, each when asked for (`--only`)."""
    out: dict[str, Any] = {}
    if want(args, "service"):
        out.update(await _appends(base, pool, tenants, args))
    if want(args, "followers"):
        action = append_mix(tenants, await open_incidents(base, tenants, args.open_incidents // len(tenants)))
        out["followers"] = await followers.measure(base, pool, tenants[0], action, load, args)
        _say(f"{args.followers} live-feed followers under the append load", out["followers"])
    if want(args, "viral"):
        out["viral"] = await viral.measure(base, tenants[1][1], load, args)
        _say(f"{args.clients} clients, 15 KB notes, one incident", out["viral"])
    if want(args, "postincident"):
        out["postincident"] = await postincident.measure(base, tenants[2][1], load, args)
        _say("post-incident review of a 2,000-event incident", out["postincident"])
    if want(args, "bulk"):
        out.update(await _bulk(base, pool, args))
    if want(args, "board"):
        out.update(await board.measure(base, pool, args))
    return out


async def new_tenants(pool: asyncpg.Pool, n: int) -> list[tuple[str, str]]:
    """`n` new tenants with an admin key each, as the append load uses them: (name, key)."""
    out = []
    async with pool.acquire() as c:
        for t in range(n):
            name = f"bench-{uuid.uuid4().hex[:8]}-{t}"
            out.append((name, await create_key(c, name, "bench", Scope.ADMIN)))
    return out


async def open_incidents(base: str, tenants: list[tuple[str, str]], per_tenant: int) -> list[tuple[int, str]]:
    """`per_tenant` new open incidents in each of `tenants` ((name, key)): (tenant's index, incident id)."""
    host, port = _host_port(base)
    incidents: list[tuple[int, str]] = []
    setup = await Connection(host, port).open()
    detect = msgspec.json.encode({"title": "bench", "severity": "sev2", "channel": "x"})
    for t, (_, key) in enumerate(tenants):
        for _ in range(per_tenant):
            r = await setup.request("POST", "/v1/incidents", detect, {"authorization": f"Bearer {key}"})
            assert r.status == 201, r.body
            incidents.append((t, r.json()["id"]))
    await setup.close()
    return incidents


def append_mix(
    tenants: list[tuple[str, str]], incidents: list[tuple[int, str]]
) -> Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]:
    """The append load's requests: acknowledge/assign/reply/note on random `incidents`, each with its tenant's key."""
    acknowledged: set[str] = set()
    rng = random.Random(1)
    reply = msgspec.json.encode({"channel": "x", "visibility": "public", "text": "We are looking into it now."})
    note = msgspec.json.encode({"text": "a note of ordinary length"})
    assignees = itertools.count()

    def action(c: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        t, iid = incidents[rng.randrange(len(incidents))]
        headers = {"authorization": f"Bearer {tenants[t][1]}"}
        roll = rng.random()
        if roll < 0.1 and iid not in acknowledged:
            acknowledged.add(iid)
            return "POST", f"/v1/incidents/{iid}/acknowledge", b"{}", headers
        if roll < 0.3:
            # (never one who holds the role already: the warm-up's requests count from 0 too)
            body = msgspec.json.encode({"role": "social_responder", "assignee": f"p{next(assignees)}@brand.example"})
            return "POST", f"/v1/incidents/{iid}/assignments", body, headers
        if roll < 0.6:
            return "POST", f"/v1/incidents/{iid}/replies", reply, headers
        return "POST", f"/v1/incidents/{iid}/notes", note, headers

    return action


async def _appends(base: str, pool: asyncpg.Pool, tenants: list[tuple[str, str]], args: argparse.Namespace) -> dict:
    """Appends spread over 1,000 open incidents with a feed follower, reads, the review endpoint, one hot incident."""
    out: dict[str, Any] = {}
    seconds = args.seconds
    incidents = await open_incidents(base, tenants, args.open_incidents // len(tenants))
    action = append_mix(tenants, incidents)
    note = msgspec.json.encode({"text": "a note of ordinary length"})
    await load(base, args.clients, 1, 2000, action)  # warm-up
    async with FeedFollower(base, tenants[0][1], seconds + 60) as follower:
        await asyncio.sleep(1)  # (connected and caught up)
        start = time.time()
        out["append"] = await load(base, args.clients, seconds, 500_000, action)
        received = follower.between(start, time.time())
    committed = await _commit_times(pool, tenants[0][0], [position for _, position, _ in received])
    from_recorded = [lag for _, _, lag in received]
    if committed is not None:
        out["feed_lag"] = _lag_figures([at - committed[position] for at, position, _ in received], "commit")
        out["feed_lag_from_recorded_at"] = _lag_figures(from_recorded, "recorded_at")
    else:  # (a server without track_commit_timestamp: recorded_at, which comes before the commit)
        out["feed_lag"] = _lag_figures(from_recorded, "recorded_at")
    _say("service append (ack/assign/reply/note)", out["append"])
    _say("live-feed lag", out["feed_lag"])
    if "feed_lag_from_recorded_at" in out:
        _say("live-feed lag from recorded_at", out["feed_lag_from_recorded_at"])

    key0 = tenants[0][1]
    auth = {"authorization": f"Bearer {key0}"}
    mine = [iid for t, iid in incidents if t == 0]
    out["get_incident"] = await load(
        base, 16, seconds / 2, 100_000, lambda c, i: ("GET", f"/v1/incidents/{mine[i % len(mine)]}", None, auth)
    )
    out["get_feed_page"] = await load(
        base, 16, seconds / 2, 100_000, lambda c, i: ("GET", f"/v1/events?after={i * 7 % 500}&limit=100", None, auth)
    )
    _say("GET /v1/incidents/{id}", out["get_incident"])
    _say("GET /v1/events page", out["get_feed_page"])
    draft = lambda c, i: ("POST", "/v1/replies/review", review.review_request(i), auth)  # noqa: E731
    await load(base, args.clients, 1, 2000, draft)  # warm-up
    out["review_endpoint"] = await load(base, args.clients, seconds / 2, 100_000, draft)
    _say(f"POST /v1/replies/review, {args.clients} clients", out["review_endpoint"])
    # Not a target: every client adding notes to one incident, as in a crisis everyone works on.
    hot = mine[0]
    out["append_one_incident"] = await load(
        base, args.clients, seconds / 2, 100_000, lambda c, i: ("POST", f"/v1/incidents/{hot}/notes", note, auth)
    )
    _say("service append, all clients on one incident (notes)", out["append_one_incident"])
    return out


async def _bulk(base: str, pool: asyncpg.Pool, args: argparse.Namespace) -> dict:
    """Rebuild, verify, reports and the what-if over a bulk-loaded tenant.

    The rebuild comes first: the tenant has no views until it has built them. The rebuild and the
    raw scan it is compared with start alike (`_same_start`)."""
    out: dict[str, Any] = {}
    from ledger import gc_tuning
    from ledger.store.policies import PolicyStore
    from projections.rebuild import rebuild_together
    from projections.runner import registry
    from tests.benchmark.workers import cpu_s, service_workers

    projections = registry(PolicyStore(pool))
    # The parts before may have left the service work to finish (the runner folding a viral
    # incident's 15 KB notes, its snapshots): the rebuild and the scan are measured on a quiet one.
    out["quiet_before_bulk"] = await quiet(pool, deadline_s=180)
    _say("service quiet before the bulk part", out["quiet_before_bulk"])
    bulk_tenant = f"bulk-{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    # Its checkpoints at the head as it is published: else the service's runner starts catching up
    # on it, and its breach watch records notices on the views it built, all through the rebuild
    # (about 1,900 appends in a full run) and not through the scan.
    events = await bulk.load(pool, bulk_tenant, args.incidents, caught_up=list(projections))
    out["bulk_load"] = {
        "tenant": bulk_tenant,
        "incidents": args.incidents,
        "events": events,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    _say("bulk load", out["bulk_load"])
    async with pool.acquire() as c:  # (a table that grew over time has been vacuumed: hint bits set)
        await c.execute("VACUUM (ANALYZE) events, incidents")
    workers = service_workers()

    start = await _same_start(pool)
    t0, cpu0 = time.perf_counter(), cpu_s(workers)
    # With the collector set as `crisis-ledger projections rebuild` (and the service) sets it.
    with gc_tuning.fewer_collections():
        await rebuild_together(pool, list(projections.values()), bulk_tenant)
    elapsed = time.perf_counter() - t0
    out["rebuild"] = {
        "events": events,
        "projections": len(projections),
        "seconds": round(elapsed, 1),
        "per_second": round(events / elapsed, 1),
        "service_cpu_s": round(cpu_s(workers) - cpu0, 2),
        "start": start,
    }
    _say("projection rebuild (all projections)", out["rebuild"])
    # (after the rebuild: the breach watch finds overdue milestones in the views)
    t0 = time.perf_counter()
    notices = await _settle(pool, bulk_tenant, deadline_s=300)
    out["bulk_settle"] = {"sla_notices": notices, "seconds": round(time.perf_counter() - t0, 1)}
    _say("bulk tenant settled (SLA notices the breach watch would have recorded)", out["bulk_settle"])
    # And the head signed, as the service's periodic checkpoint task would have done (else it
    # walks the whole tenant in a service worker while the reports below are measured).
    from ledger.audit import checkpoints
    from ledger.audit import verify as audit

    signer = checkpoints.load_signer(Settings(signing_key=os.environ.get("LEDGER_SIGNING_KEY") or _seed()))
    t0 = time.perf_counter()
    signed, _ = await checkpoints.checkpoint(pool, signer, bulk_tenant)
    out["bulk_checkpoint"] = {"position": signed.position, "seconds": round(time.perf_counter() - t0, 1)}
    _say("bulk tenant's head signed (the periodic checkpoint task's work)", out["bulk_checkpoint"])
    # What autovacuum would have done by now on a database that grew to this size over time.
    t0 = time.perf_counter()
    async with pool.acquire() as c:
        await c.execute(
            "VACUUM (ANALYZE) events, incidents, incident_views, sla_report_rows, coverage_report_rows, assignee_spans,"
            " assignee_load"
        )
    out["bulk_vacuum"] = {"seconds": round(time.perf_counter() - t0, 1)}
    _say("VACUUM (ANALYZE) after the bulk load", out["bulk_vacuum"])
    # The scan baseline once the service's background work on the tenant is done, started as the
    # rebuild was: no checkpoint of earlier writes under way, the service idle.
    start = await _same_start(pool)
    cpu0 = cpu_s(workers)
    out["raw_scan"] = await raw_scan(pool, bulk_tenant, 300)
    out["raw_scan"].update(service_cpu_s=round(cpu_s(workers) - cpu0, 2), start=start)
    _say("raw scan + msgspec decode", out["raw_scan"])

    t0 = time.perf_counter()
    report = await audit.verify_tenant(pool, bulk_tenant, signer.public_key)
    elapsed = time.perf_counter() - t0
    assert report.ok and report.checkpoints_verified >= 1, report
    out["verify"] = {
        "events": report.checked,
        "seconds": round(elapsed, 1),
        "per_second": round(report.checked / elapsed, 1),
    }
    _say("audit verify", out["verify"])

    async with pool.acquire() as c:
        key = await create_key(c, bulk_tenant, "bench", Scope.READ)
    bauth = {"authorization": f"Bearer {key}"}
    reports = {}
    async with httpx.AsyncClient(base_url=base, headers=bauth, timeout=60) as http:
        for name, path in bulk.REPORTS:
            await http.get(path)  # the first brings the views up to date

            async def call(path: str = path) -> int:
                return (await http.get(path)).status_code

            reports[name] = latency_figures(await one_at_a_time(call, args.report_requests, seconds=120))
            _say(f"GET {path} ({args.incidents} incidents)", reports[name])
        out["reports"] = reports
        runs = 2 if args.quick else 5
        out["what_if"] = {plan: await what_if_runs(http, plan, runs) for plan in WHAT_IF_PLANS}
        _say(f"POST /v1/policy/what-if ({args.incidents} incidents)", out["what_if"])
    return out


def _acknowledge_in(**minutes: int) -> dict[str, Any]:
    from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict

    plan = policy_to_dict(DEFAULT_POLICY)
    for severity, m in minutes.items():
        plan["severities"][severity]["targets"]["acknowledge"] = {"seconds": m * 60, "calendar": None}
    return plan


# One severity's target moved (the other severities' incidents are rendered once), and all of them.
WHAT_IF_PLANS = {
    "sev2": _acknowledge_in(sev2=10),
    "all": _acknowledge_in(sev1=3, sev2=10, sev3=30, sev4=60),
}


async def what_if_runs(http: httpx.AsyncClient, plan: str, runs: int) -> dict[str, Any]:
    """`runs` what-ifs of one plan, one after another: p50 and p99 of the first byte and of the total."""
    each = [await what_if_streamed(http, plan) for _ in range(runs)]
    first, total = [r["first_byte_ms"] for r in each], [r["total_s"] for r in each]
    return {
        "incidents": each[0]["incidents"],
        "runs": runs,
        "first_byte_p50_ms": percentile(first, 50),
        "first_byte_p99_ms": percentile(first, 99),
        "total_p50_s": percentile(total, 50),
        "total_p99_s": percentile(total, 99),
        "each": each,
    }


async def what_if_streamed(http: httpx.AsyncClient, plan: str) -> dict[str, Any]:
    """The what-if over every incident of the bulk tenant (its whole window): when the first bytes
    of the streamed answer arrive, and when the last do."""
    now = datetime.now(UTC)
    body = {"policy": WHAT_IF_PLANS[plan], "since": (now - timedelta(days=365)).isoformat(), "until": now.isoformat()}
    t0 = time.perf_counter()
    first, chunks = 0.0, []
    async with http.stream("POST", "/v1/policy/what-if", json=body, timeout=120) as r:
        assert r.status_code == 200, r.status_code
        async for chunk in r.aiter_raw():
            first = first or time.perf_counter() - t0
            chunks.append(chunk)
    total = time.perf_counter() - t0
    incidents = msgspec.json.decode(b"".join(chunks))["incidents"]
    return {
        "incidents": incidents,
        "first_byte_ms": round(first * 1000, 1),
        "total_s": round(total, 2),
        "per_incident_us": round(total / incidents * 1e6),
    }


async def _commit_times(pool: asyncpg.Pool, tenant: str, positions: list[int]) -> dict[int, float] | None:
    """When each event's transaction committed (unix seconds), from PostgreSQL's commit timestamps;
    None if the server does not keep them (`track_commit_timestamp`). The timestamp is taken as the
    commit record is written, before it is flushed: a lag from it includes the flush."""
    async with pool.acquire() as conn:
        if await conn.fetchval("SHOW track_commit_timestamp") != "on":
            return None
        rows = await conn.fetch(
            "SELECT position, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 AS committed"
            " FROM events WHERE tenant_id = $1 AND position = ANY($2::bigint[])",
            tenant,
            positions,
        )
    times = {r["position"]: r["committed"] for r in rows}
    if len(times) != len(set(positions)) or None in times.values():
        return None  # (a transaction from before the setting was on)
    return times


def _lag_figures(lags: list[float], since: str) -> dict[str, Any]:
    return {
        "from": since,
        "events": len(lags),
        "p50_ms": round(percentile(lags, 50) * 1000, 2),
        "p99_ms": round(percentile(lags, 99) * 1000, 2),
    }


async def _same_start(pool: asyncpg.Pool) -> dict[str, Any]:
    """What the rebuild and the raw scan both start from: the writes before them flushed by a
    checkpoint (else one spread over minutes may still be writing during either), and a quiet service."""
    t0 = time.perf_counter()
    async with pool.acquire() as c:
        await c.execute("CHECKPOINT")
    flushed = round(time.perf_counter() - t0, 1)
    return {"checkpoint_seconds": flushed, **await quiet(pool, deadline_s=120)}


async def _settle(pool: asyncpg.Pool, tenant: str, deadline_s: float) -> int:
    """Record the SLA notices a running service would already have recorded for the bulk-loaded
    tenant's overdue open incidents (through the breach watch itself), so that the reports are
    not measured while the service's breach watch is still catching up on them."""
    from ledger.store.events import EventStore
    from ledger.store.policies import PolicyStore
    from ledger.workers import breach_watch
    from projections.runner import registry

    views = registry(PolicyStore(pool))["incident_views"]
    store, window = EventStore(pool), timedelta(seconds=Settings().sla_warning_seconds)
    recorded, started = 0, time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        n = await breach_watch.watch_tenant(pool, store, views, tenant, window)
        recorded += n
        if n == 0:
            break
    return recorded


BEHIND = """
SELECT count(*) FROM projection_checkpoints c JOIN tenants t ON t.id = c.tenant_id WHERE c.position < t.head_position
"""
# Statements the service is running now: its pool's sessions in this database (and their parallel
# workers, which carry the same name), not this process's own session. The workers' CPU does not show them: a worker
# awaiting a statement is idle, however long PostgreSQL works on it.
SERVICE_ACTIVE = """
SELECT count(*) FROM pg_stat_activity
 WHERE state = 'active' AND pid <> pg_backend_pid() AND application_name = 'crisis-ledger'
   AND datname = current_database()
"""
QUIET_WINDOW_S = 0.5
QUIET_SAMPLES = 10  # looks at the service's statements in each window (a breach-watch probe lasts 50-300 ms)


async def service_statements(pool: asyncpg.Pool, seconds: float = QUIET_WINDOW_S) -> int:
    """The most statements the service had running at once over `seconds`, looked at every tenth of it."""
    most = 0
    async with pool.acquire() as c:
        for _ in range(QUIET_SAMPLES):
            most = max(most, await c.fetchval(SERVICE_ACTIVE))
            await asyncio.sleep(seconds / QUIET_SAMPLES)
    return most


async def quiet(
    pool: asyncpg.Pool, deadline_s: float, idle_share: float = 0.05, after_s: float = 0.0
) -> dict[str, Any]:
    """Wait (at most `deadline_s`) until every projection has caught up with its tenant's head, the
    breach watch has no notice left to record, and the service is idle over half a second: its
    workers use less than `idle_share` of a core each and none of its statements runs in
    PostgreSQL. Not before `after_s` (a service just started: its breach watch's first round, one
    interval after the start, probes every tenant in full). (A service started again after a stop
    first records the notices that fell due meanwhile: one transaction each, for seconds to minutes.)"""
    from tests.benchmark.workers import cpu_s, service_workers

    workers, started = service_workers(), time.perf_counter()
    behind = busy = due = statements = -1.0
    await asyncio.sleep(after_s)
    while time.perf_counter() - started < deadline_s:
        async with pool.acquire() as c:
            behind = await c.fetchval(BEHIND)
        before, t0 = cpu_s(workers), time.perf_counter()
        statements = await service_statements(pool)
        busy = (cpu_s(workers) - before) / (time.perf_counter() - t0) / max(len(workers), 1)
        # (the probe of every tenant's open incidents only once the rest looks quiet)
        if behind == 0 and busy < idle_share and statements == 0:
            due = await _notices_due(pool)
            if due == 0:
                break
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "behind": behind,
        "notices_due": due,
        "worker_core_share": round(busy, 3),
        "service_statements": statements,
    }


async def _notices_due(pool: asyncpg.Pool) -> int:
    """The notices the breach watch would record now, over every tenant with open incidents (asked
    as the watch asks, with the milestones already shown breached)."""
    from projections.view_queries import notices_due, tenants_with_open

    window, now, due = timedelta(seconds=Settings().sla_warning_seconds), datetime.now(UTC), 0
    async with pool.acquire() as c:
        for tenant in await tenants_with_open(pool):
            due += len(await notices_due(c, tenant, now, window, overdue_too=True))
    return due


def want(args: argparse.Namespace, part: str) -> bool:
    """Whether this run measures `part` (every part unless `--only` names some)."""
    return args.only is None or part in args.only


def _seed() -> str:
    import base64
    import secrets

    return base64.b64encode(secrets.token_bytes(32)).decode()


def _ratios(results: dict[str, Any]) -> dict[str, Any]:
    b, s = results["baselines"], results["service"]
    # Each ratio from the figures it needs, left out when a part was not measured (`--only`).
    formulas: dict[str, tuple[tuple[str, ...], Callable[[], float]]] = {
        "append_vs_post_insert": (
            ("post_insert", "append"),
            lambda: s["append"]["per_second"] / b["post_insert"]["per_second"],
        ),
        "append_p99_vs_baseline_p99": (
            ("post_insert", "append"),
            lambda: s["append"]["p99_ms"] / b["post_insert"]["p99_ms"],
        ),
        "report_p99_ms": (("reports",), lambda: max(r["p99_ms"] for r in s["reports"].values())),
        "rebuild_vs_scan": (("rebuild", "raw_scan"), lambda: s["rebuild"]["per_second"] / s["raw_scan"]["per_second"]),
        "verify_vs_scan": (("verify", "raw_scan"), lambda: s["verify"]["per_second"] / s["raw_scan"]["per_second"]),
        "feed_lag_p99_ms": (("feed_lag",), lambda: s["feed_lag"]["p99_ms"]),
        "reply_append_review_on_vs_off": (
            ("reply_append_review_http",),
            lambda: s["reply_append_review_http"]["ratio"],
        ),
        "review_p99_ms": (("review_endpoint",), lambda: s["review_endpoint"]["p99_ms"]),
        "followers_lag_p99_ms": (("followers",), lambda: s["followers"]["lag"]["p99_ms"]),
        "followers_missed_or_repeated": (
            ("followers",),
            lambda: s["followers"]["missed"] + s["followers"]["repeated"],
        ),
        "followers_rss_per_follower_kb": (("followers",), lambda: s["followers"]["rss_kb_per_follower"]),
        "followers_append_with_vs_without": (("followers",), lambda: s["followers"]["append_ratio"]),
        "viral_rss_growth_mb": (("viral",), lambda: s["viral"]["rss_growth_mb"]),
        # The worst of the reports beside nine more tenants, each against itself alone (in turn with it).
        "tenants_report_p99_vs_alone": (
            ("reports_tenant_alone", "reports_ten_tenants"),
            lambda: max(
                f["p99_ms"] / s["reports_tenant_alone"][name]["p99_ms"] for name, f in s["reports_ten_tenants"].items()
            ),
        ),
        "tenants_append_ratio_vs_empty": (
            ("append_empty_database", "post_insert_empty_database", "append_ten_tenants", "post_insert_ten_tenants"),
            lambda: (
                (s["append_ten_tenants"]["per_second"] / b["post_insert_ten_tenants"]["per_second"])
                / (s["append_empty_database"]["per_second"] / b["post_insert_empty_database"]["per_second"])
            ),
        ),
        "board_render_p99_ms": (("board_render",), lambda: s["board_render"]["p99_ms"]),
        "board_visible_p99_ms": (("board_visible",), lambda: s["board_visible"]["p99_ms"]),
    }
    exact = {
        name: compute() for name, (needs, compute) in formulas.items() if all(key in s or key in b for key in needs)
    }
    # Met or not is decided on the exact ratio, never on its rounding: 0.597 is not 0.6.
    met = {}
    for name, value in exact.items():
        target = TARGETS[name]
        met[name] = value <= target if name.endswith(AT_MOST) else value >= target
    shown = {name: value if name.endswith(("_ms", "_kb", "_mb")) else round(value, 3) for name, value in exact.items()}
    return {"values": shown, "exact": exact, "targets": TARGETS, "met": met}


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _say(what: str, figures: dict[str, Any]) -> None:
    print(f"  {what}: {json.dumps(figures)}", file=sys.stderr, flush=True)


def _row(label: str, fig: dict[str, Any] | None, per_second: bool = True, latency: bool = True) -> list[str]:
    """One line of the table, none when the figure was not measured (`--only`)."""
    if fig is None:
        return []
    rate = fig["per_second"] if per_second else ""
    p50, p99 = (fig["p50_ms"], fig["p99_ms"]) if latency else ("", "")
    return [f"{label:<46} {rate:>10} {p50:>9} {p99:>9}"]


def _table(results: dict[str, Any]) -> str:
    b, s, r = results["baselines"], results["service"], results["ratios"]
    lines = [f"{'measurement':<46} {'per s':>10} {'p50 ms':>9} {'p99 ms':>9}"]
    for label, fig in (
        ("baseline: raw INSERT, 16 connections", b.get("raw_insert_16")),
        ("baseline: raw INSERT, 64 connections", b.get("raw_insert_64")),
        ("baseline: no-op POST (msgspec body)", b.get("post_noop")),
        ("baseline: POST + one INSERT", b.get("post_insert")),
        ("service: append (ack/assign/reply/note)", s.get("append")),
        ("service: GET /v1/incidents/{id}", s.get("get_incident")),
        ("service: GET /v1/events page", s.get("get_feed_page")),
        ("service: append, all on one incident (notes)", s.get("append_one_incident")),
        ("service: append, one incident, 15 KB notes", s.get("viral")),
        ("service: POST /v1/replies/review", s.get("review_endpoint")),
    ):
        lines += _row(label, fig)
    lines += _row("baseline: raw scan + msgspec decode (rows)", s.get("raw_scan"), latency=False)
    lines += _row("service: projection rebuild (events)", s.get("rebuild"), latency=False)
    lines += _row("service: audit verify (events)", s.get("verify"), latency=False)
    for label, key in (("service", "reply_append_review_http"), ("in-process", "reply_append_review")):
        for mode in ("on", "off"):
            if key in s:
                figure = s[key][f"per_second_review_{mode}"]
                lines.append(f"{f'{label}: reply append, review {mode}':<46} {figure:>10}")
    if "reply_append_review" in s:
        lines.append(f"{'in-process: reply append, review on ÷ off':<46} {s['reply_append_review']['ratio']:>10.3f}")
    for name, fig in s.get("reports", {}).items():
        lines += _row("report " + name, fig, per_second=False)
    lines += tenants_part.rows(results, _row)
    for plan, fig in s.get("what_if", {}).items():
        label = f"what-if ({plan}), {fig['incidents']} incidents, {fig['runs']} runs"
        first = f"{fig['first_byte_p50_ms']:>9} {fig['first_byte_p99_ms']:>9}"
        lines.append(f"{label + ': first byte ms':<46} {'':>10} {first}")
        lines.append(f"{'  total s':<46} {'':>10} {fig['total_p50_s']:>9} {fig['total_p99_s']:>9}")
    if "postincident" in s:
        review_of = s["postincident"]
        for kind in ("markdown", "html"):
            lines += _row(f"review ({kind}), {review_of['events']} events", review_of[kind], per_second=False)
    lines += _crowd_rows(s)
    lines += _row(f"board: GET / with {board.OPEN} open, one at a time", s.get("board_render"))
    at_once = s.get("board_render", {}).get("concurrent")
    lines += _row(f"  (information: {at_once['clients']} clients at once)" if at_once else "", at_once)
    lines += _row("board: event visible in Chromium after its 201", s.get("board_visible"), per_second=False)
    if "note" in s.get("board_visible", {}):
        lines.append(f"  ({s['board_visible']['note']})")
    for key in ("feed_lag", "feed_lag_from_recorded_at"):
        if key in s:
            lag = s[key]
            lines += _row(f"live-feed lag from {lag['from']} (append load)", lag, per_second=False)
    lines.append("")
    lines.append(f"{'ratio / figure':<34} {'value':>8} {'target':>8}  met")
    for name, value in r["values"].items():
        sign = "≤" if name.endswith(AT_MOST) else "≥"
        lines.append(f"{name:<34} {value:>8} {sign}{r['targets'][name]:>7}  {'yes' if r['met'][name] else 'NO'}")
    return "\n".join(lines)


def _crowd_rows(s: dict[str, Any]) -> list[str]:
    """The many-followers part's lines (none if it was not measured)."""
    if "followers" not in s:
        return []
    f = s["followers"]
    lines = _row(f"append, {f['followers']} followers connected", f["append_with"])
    for i, without in enumerate(f["append_without"]):
        lines += _row(f"append, no followers ({'before' if i == 0 else 'after'})", without)
    lines += _row(f"live-feed lag from {f['lag']['from']}, {f['followers']} followers", f["lag"], per_second=False)
    lines.append(
        f"followers: {f['connected']} connected (per worker {f['per_worker']}), {f['received_whole']} received"
        f" all {f['window_events']} events of the window; missed {f['missed']}, repeated {f['repeated']},"
        f" dropped {f['dropped']}"
    )
    rss = f["rss_mb"]
    lines.append(
        f"worker RSS MB: {rss['before']} before, {rss['connected']} with followers, {rss['after_load']} after"
        f" the load: {f['rss_kb_per_follower']} KB per follower"
    )
    if "viral" in s:
        v = s["viral"]["rss_mb"]
        lines.append(f"worker RSS MB, 15 KB notes on one incident: {v['before']} before, {v['after']} after")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.benchmark", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a smoke run: small data, short measurements")
    p.add_argument("--out", default="bench-results.json", help="where to write the figures as JSON")
    p.add_argument("--workers", type=int, default=2, help="server workers (the same for baselines and service)")
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--seconds", type=float, default=None, help="length of each throughput measurement")
    p.add_argument("--incidents", type=int, default=None, help="bulk-loaded incidents (10 events each)")
    p.add_argument("--open-incidents", type=int, default=1000)
    p.add_argument(
        "--report-requests",
        type=int,
        default=None,
        help="requests per report (default 100, 10 with --quick): a p99 of 50 is the slowest one (nearest rank)",
    )
    p.add_argument("--followers", type=int, default=None, help="live-feed followers of the followers part")
    p.add_argument(
        "--only",
        type=_parts,
        default=None,
        metavar="PART[,PART]",
        help=f"measure only these parts ({', '.join(PARTS)}); a ratio whose figures were not measured is left out",
    )
    args = p.parse_args(argv)
    args.seconds = args.seconds or (3.0 if args.quick else 15.0)
    args.incidents = args.incidents or (2_000 if args.quick else 100_000)
    args.report_requests = args.report_requests or (10 if args.quick else 100)
    args.followers = args.followers or (100 if args.quick else 500)
    if args.quick:
        args.open_incidents = min(args.open_incidents, 100)
    os.environ.setdefault("LEDGER_SIGNING_KEY", _seed())
    # This process settles the bulk tenants with the breach watch's own code, which logs each notice
    # at info: about 185,000 lines a full run. Its warnings still show; its figures are printed.
    logs.configure(level="warning")
    with _database() as url:
        results = asyncio.run(run(url, args))
    results["command"] = "python -m tests.benchmark " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(_table(results))
    print(f"\n(figures as JSON in {args.out})")
    return 0


def _parts(value: str) -> frozenset[str]:
    parts = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = parts - set(PARTS)
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    return parts.union(*(REQUIRES.get(part, ()) for part in parts))


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A fresh database: on LEDGER_DATABASE_URL's server if given, else on an embedded PostgreSQL
    that keeps commit timestamps (for the live feed's lag from commit; a server given keeps them if
    it was started with `track_commit_timestamp = on`, else the lag is measured from `recorded_at`)."""
    given = os.environ.get("LEDGER_DATABASE_URL")

    async def create(server: str) -> str:
        return await pg.create_database(server)

    if given:
        url = asyncio.run(create(given))
        yield url
        return
    with pg.embedded_server({"track_commit_timestamp": "on"}) as server:
        yield asyncio.run(create(server))


if __name__ == "__main__":
    sys.exit(main())

"""Many tenants (issue 28): the first bulk tenant's reports and the append load, measured again
once nine more tenants of its size share the database.

It runs after the other parts, with their service stopped: nine tenants are bulk-loaded, two at a
time in processes of their own, and each is brought to the state a running service would have
reached (read models rebuilt, SLA notices recorded, projections caught up, head signed); then the
tables are vacuumed and analyzed and a checkpoint is taken. A service is started again, and the
reports, the append load and then its POST + INSERT baseline are measured as the earlier parts
measured them, to be compared with their figures from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

import asyncpg
import httpx
import msgspec

from ledger.config import Settings
from ledger.store.database import create_pool
from ledger.store.keys import Scope, create_key
from tests.benchmark import bulk

MORE_TENANTS = 9
SETUP_TIMEOUT_MS = 1_800_000
QUIET_DEADLINE_S = 600
LOADERS = 2  # processes loading at once: one generates rows while PostgreSQL takes the other's COPY
SETTLING = 3  # tenants settled at once (each holds two of the benchmark pool's eight connections)
VACUUMED = ("events, incidents, incident_views, incident_snapshots, sla_report_rows, coverage_report_rows,"
            " assignee_spans, assignee_load, sla_notices")  # fmt: skip

Make = Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]


class Bench(NamedTuple):
    """What this part borrows from the runner (tests/benchmark/__main__.py), to measure as it does."""

    service: Callable[[str, int], AbstractContextManager[str]]
    granian: Callable[[str, dict[str, str], int], AbstractContextManager[str]]
    load: Callable[[str, int, float, int, Make], Awaitable[dict[str, Any]]]
    timed: Callable[[int, float, Callable[[], Awaitable[int]]], Awaitable[dict[str, Any]]]
    settle: Callable[[asyncpg.Pool, str, float], Awaitable[int]]
    quiet: Callable[..., Awaitable[dict[str, Any]]]
    open_incidents: Callable[[str, list[tuple[str, str]], int], Awaitable[list[tuple[int, str]]]]
    append_mix: Callable[[list[tuple[str, str]], list[tuple[int, str]]], Make]
    say: Callable[[str, dict[str, Any]], None]


async def measure(
    url: str,
    pool: asyncpg.Pool,
    args: argparse.Namespace,
    keys: list[tuple[str, str]],
    results: dict[str, Any],
    bench: Bench,
) -> None:
    """Load the nine tenants, then measure the first bulk tenant's reports and the append load
    (on the tenants of `keys`, as the service part does) into `results`."""
    s, b = results["service"], results["baselines"]
    first = s["bulk_load"]["tenant"]
    more = [f"{first}-{n}" for n in range(1, MORE_TENANTS + 1)]
    # Setup, not measurement: a pool of its own whose statements may take as long as a busy machine
    # makes them (vacuuming ten million rows, a rebuild's read beside two loads: past the service's 10 s).
    limits = {"statement_timeout": str(SETUP_TIMEOUT_MS), "idle_in_transaction_session_timeout": "0"}
    setup = await create_pool(
        url, Settings(pool_min=2, pool_max=8, statement_timeout_ms=SETUP_TIMEOUT_MS), server_settings=limits
    )
    try:
        s["tenants"] = figures = await _populate(url, setup, more, args.incidents, bench)
    finally:
        await setup.close()
    bench.say(f"{MORE_TENANTS} more tenants of {args.incidents} incidents", figures)
    async with pool.acquire() as c:
        read_key = await create_key(c, first, "bench-ten-tenants", Scope.READ)
    with bench.service(url, args.workers) as base:
        # The service was stopped for the setup: the small tenants' open incidents (the parts
        # before) had milestones fall due meanwhile, and the breach watch now records those notices,
        # one transaction each (a few hundred to thousands; the reports alone were measured on a
        # service that kept up). And its first round, one interval after the start, probes every
        # tenant's open incidents in full (later rounds skip a tenant where nothing can be due):
        # seconds of PostgreSQL's time over ten tenants of 10,000 open incidents, which the reports
        # alone, on a service long started, did not meet. Measured once both are done, as the bulk
        # part measures on a quiet service.
        after = Settings.from_env().breach_watch_interval_s + 1
        s["quiet_ten_tenants"] = await bench.quiet(pool, QUIET_DEADLINE_S, after_s=after)
        bench.say("service quiet before the ten tenants' reports", s["quiet_ten_tenants"])
        s["reports_ten_tenants"] = await _reports(base, read_key, args, bench)
        incidents = await bench.open_incidents(base, keys, args.open_incidents // len(keys))
        action = bench.append_mix(keys, incidents)
        await bench.load(base, args.clients, 1, 2000, action)  # warm-up
        s["append_ten_tenants"] = await bench.load(base, args.clients, args.seconds, 500_000, action)
        bench.say("service append, ten bulk tenants stored", s["append_ten_tenants"])
    env = {"BENCH_DATABASE_URL": url, "BENCH_POOL_MAX": "20"}
    note = msgspec.json.encode({"text": "a note of ordinary length", "actor": "bench"})
    with bench.granian("tests.benchmark.apps:create", env, args.workers) as base:
        insert: Make = lambda c, i: ("POST", "/insert", note, {})  # noqa: E731
        await bench.load(base, args.clients, 1, 2000, insert)  # warm-up
        b["post_insert_ten_tenants"] = await bench.load(base, args.clients, args.seconds, 500_000, insert)
        bench.say("POST + INSERT, ten bulk tenants stored", b["post_insert_ten_tenants"])


async def _reports(base: str, key: str, args: argparse.Namespace, bench: Bench) -> dict[str, Any]:
    reports = {}
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=60) as http:
        for name, path in bulk.REPORTS:
            await http.get(path)  # the first brings the views up to date

            async def call(path: str = path) -> int:
                return (await http.get(path)).status_code

            reports[name] = await bench.timed(args.report_requests, 120, call)
            bench.say(f"GET {path} (the first bulk tenant, ten stored)", reports[name])
    return reports


async def _populate(url: str, pool: asyncpg.Pool, tenants: list[str], incidents: int, bench: Bench) -> dict:
    """Bulk-load `tenants` and bring each to a running service's state; what it took."""
    out: dict[str, Any] = {"tenants": len(tenants), "incidents_each": incidents}
    started = time.perf_counter()
    out["events"], out["rebuild_s"] = await _load_and_rebuild(url, pool, tenants, incidents, bench.say)
    out["load_and_rebuild_s"] = round(time.perf_counter() - started, 1)
    bench.say("loaded and rebuilt", out)

    t0 = time.perf_counter()
    gate = asyncio.Semaphore(SETTLING)

    async def settle(tenant: str) -> int:
        async with gate:
            return await bench.settle(pool, tenant, 600)

    out["sla_notices"] = sum(await asyncio.gather(*(settle(t) for t in tenants)))
    out["settle_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    await _catch_up_and_sign(pool, tenants)
    out["catch_up_and_sign_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    async with pool.acquire() as c:
        await c.execute(f"VACUUM (ANALYZE) {VACUUMED}")
        await c.execute("CHECKPOINT")
    out["vacuum_s"] = round(time.perf_counter() - t0, 1)
    out["verify"] = await _verify(pool, tenants[-1])
    out["total_s"] = round(time.perf_counter() - started, 1)
    out.update(await _sizes(pool))
    return out


async def _load_and_rebuild(
    url: str, pool: asyncpg.Pool, tenants: list[str], incidents: int, say: Callable[[str, dict[str, Any]], None]
) -> tuple[int, float]:
    """Load the tenants in `LOADERS` processes; rebuild each one's read models here as soon as it is
    loaded (with the service stopped, nothing else folds it). (events written, seconds rebuilding)"""
    from ledger import gc_tuning
    from ledger.store.policies import PolicyStore
    from projections.rebuild import rebuild_together
    from projections.runner import registry

    projections = list(registry(PolicyStore(pool)).values())
    loop = asyncio.get_running_loop()
    events, rebuilding = 0, 0.0
    # (spawned, not forked: the parent holds an event loop and open connections)
    with concurrent.futures.ProcessPoolExecutor(LOADERS, mp_context=multiprocessing.get_context("spawn")) as loaders:
        loads = [
            loop.run_in_executor(loaders, _load_in_process, url, tenant, incidents, seed)
            for seed, tenant in enumerate(tenants, start=100)
        ]
        for done in asyncio.as_completed(loads):
            tenant, written = await done
            events += written
            t0 = time.perf_counter()
            with gc_tuning.fewer_collections():
                await rebuild_together(pool, projections, tenant)
            took = time.perf_counter() - t0
            rebuilding += took
            say(f"tenant {tenant} loaded and rebuilt", {"events": written, "rebuild_s": round(took, 1)})
    return events, round(rebuilding, 1)


def _load_in_process(url: str, tenant: str, incidents: int, seed: int) -> tuple[str, int]:
    return tenant, asyncio.run(bulk.load_at(url, tenant, incidents, seed=seed))


async def _catch_up_and_sign(pool: asyncpg.Pool, tenants: list[str]) -> None:
    """What the service's runner and checkpoint task would have done after the notices: every
    projection caught up with them, and each head signed (else the service does it while measured)."""
    from ledger.audit import checkpoints
    from ledger.store.policies import PolicyStore
    from projections.runner import catch_up_all, registry

    projections = registry(PolicyStore(pool))
    signer = checkpoints.load_signer(Settings(signing_key=os.environ["LEDGER_SIGNING_KEY"]))
    for tenant in tenants:
        await catch_up_all(pool, projections, tenant, folds=None)
        await checkpoints.checkpoint(pool, signer, tenant)


async def _verify(pool: asyncpg.Pool, tenant: str) -> dict[str, Any]:
    """One loaded tenant's chain verified whole, with its signed head: the loader wrote valid chains."""
    from ledger.audit import checkpoints
    from ledger.audit import verify as audit

    signer = checkpoints.load_signer(Settings(signing_key=os.environ["LEDGER_SIGNING_KEY"]))
    t0 = time.perf_counter()
    report = await audit.verify_tenant(pool, tenant, signer.public_key)
    assert report.ok and report.checkpoints_verified >= 1, report
    return {"tenant": tenant, "events": report.checked, "ok": report.ok, "seconds": round(time.perf_counter() - t0, 1)}


async def _sizes(pool: asyncpg.Pool) -> dict[str, Any]:
    async with pool.acquire() as c:
        size = await c.fetchval("SELECT pg_database_size(current_database())")
        events = await c.fetchval("SELECT pg_total_relation_size('events')")
        data_dir = await c.fetchval("SHOW data_directory")
    return {"database_gb": round(size / GB, 2), "events_table_gb": round(events / GB, 2), **_disk(data_dir)}


GB = 1024**3


def _disk(data_dir: str) -> dict[str, float]:
    """The disk the database is on (this machine's root when the server is elsewhere)."""
    disk = shutil.disk_usage(data_dir if os.path.isdir(data_dir) else "/")
    return {"disk_free_gb": round(disk.free / GB, 1), "disk_size_gb": round(disk.total / GB, 1)}


def rows(results: dict[str, Any], row: Callable[..., list[str]]) -> list[str]:
    """This part's lines of the benchmark's table (none when it did not run)."""
    s, b = results["service"], results["baselines"]
    if "reports_ten_tenants" not in s:
        return []
    t = s["tenants"]
    label = f"ten tenants: {t['events']} events more: s, DB GB"
    lines = [f"{label:<46} {'':>10} {t['total_s']:>9} {t['database_gb']:>9}"]
    for name, fig in s["reports_ten_tenants"].items():
        lines += row(f"report {name}, ten tenants stored", fig, per_second=False)
    lines += row("service: append, ten tenants stored", s.get("append_ten_tenants"))
    lines += row("baseline: POST + one INSERT, ten tenants stored", b.get("post_insert_ten_tenants"))
    return lines

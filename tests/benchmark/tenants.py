"""Many tenants (issue 28): the first bulk tenant's reports and the append load, measured once
nine more tenants of its size share the database, against the same measured alone and empty.

It runs after the other parts, with their service stopped. The database is copied first (the copy
keeps the first bulk tenant alone) and an empty one made beside it (interleaved.py); then nine
tenants are bulk-loaded, two at a time in processes of their own, and each is brought to the state
a running service would have reached (read models rebuilt, SLA notices recorded, projections caught
up, head signed); the tables are vacuumed and analyzed. Each ratio's two sides are then measured in
alternating rounds on their own databases (interleaved.py), so that the machine's drift falls on both.
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

from ledger.config import Settings
from ledger.store.database import create_pool
from tests.benchmark import bulk, interleaved

MORE_TENANTS = 9
SETUP_TIMEOUT_MS = 1_800_000
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
    settle: Callable[[asyncpg.Pool, str, float], Awaitable[int]]
    quiet: Callable[..., Awaitable[dict[str, Any]]]
    open_incidents: Callable[[str, list[tuple[str, str]], int], Awaitable[list[tuple[int, str]]]]
    append_mix: Callable[[list[tuple[str, str]], list[tuple[int, str]]], Make]
    new_tenants: Callable[[asyncpg.Pool, int], Awaitable[list[tuple[str, str]]]]
    say: Callable[[str, dict[str, Any]], None]


async def measure(
    url: str, args: argparse.Namespace, keys: list[tuple[str, str]], results: dict[str, Any], bench: Bench
) -> None:
    """Copy the database (no session may be open on it), load the nine tenants, then measure both
    ratios' sides in alternating rounds (interleaved.py; the append load on the tenants of `keys`,
    as the service part does) into `results`."""
    s = results["service"]
    first = s["bulk_load"]["tenant"]
    more = [f"{first}-{n}" for n in range(1, MORE_TENANTS + 1)]
    dbs, copies = await interleaved.make_copies(url)
    bench.say("database copied (the first bulk tenant alone) and an empty one made", copies)
    try:
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
        figures |= copies | {"same_state_s": (await interleaved.same_state(dbs, VACUUMED))["seconds"]}
        bench.say(f"{MORE_TENANTS} more tenants of {args.incidents} incidents", figures)
        t0 = time.perf_counter()
        await interleaved.reports(dbs, first, args, results, bench)
        figures["reports_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        await interleaved.appends(dbs, keys, args, results, bench)
        figures["appends_s"] = round(time.perf_counter() - t0, 1)
    finally:
        await interleaved.drop_copies(dbs)
    s["tenants_against_earlier_parts"] = earlier = against_earlier_parts(results)
    bench.say("the ten tenants' figures against the earlier parts' (not a target)", earlier)


def against_earlier_parts(results: dict[str, Any]) -> dict[str, float]:
    """The ten tenants' figures against the alone and empty ones the earlier parts measured (the bulk
    part's reports, the service part's append ratio), as the part compared before its rounds: minutes
    apart, so they show what the machine's drift adds. Information, not a target."""
    s, b = results["service"], results["baselines"]
    out = {}
    if "reports" in s:
        out["report_p99_vs_alone"] = max(
            f["p99_ms"] / s["reports"][name]["p99_ms"] for name, f in s["reports_ten_tenants"].items()
        )
    if "append" in s and "post_insert" in b:
        ten = s["append_ten_tenants"]["per_second"] / b["post_insert_ten_tenants"]["per_second"]
        out["append_ratio_vs_empty"] = ten / (s["append"]["per_second"] / b["post_insert"]["per_second"])
    return {name: round(value, 3) for name, value in out.items()}


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
    label = "  copy with the first bulk tenant alone: s, GB"
    lines.append(f"{label:<46} {'':>10} {t['copy_s']:>9} {t['copy_gb']:>9}")
    for name, fig in s["reports_ten_tenants"].items():
        lines += row(f"report {name}, alone (in turn with:)", s["reports_tenant_alone"][name], per_second=False)
        lines += row(f"report {name}, ten tenants stored", fig, per_second=False)
    for label, fig in (
        ("service: append, empty database (in turn with:)", s.get("append_empty_database")),
        ("service: append, ten tenants stored", s.get("append_ten_tenants")),
        ("baseline: POST + INSERT, empty database", b.get("post_insert_empty_database")),
        ("baseline: POST + INSERT, ten tenants stored", b.get("post_insert_ten_tenants")),
    ):
        lines += row(label, fig, latency=False)
    earlier = s.get("tenants_against_earlier_parts", {})
    if earlier:
        shown = ", ".join(f"{name} {value}" for name, value in earlier.items())
        lines.append(f"  (ten tenants against the earlier parts' figures, minutes apart: {shown})")
    return lines

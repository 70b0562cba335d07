"""The ten tenants' two ratios, each side measured on a database of its own in alternating rounds.

Before the nine tenants are loaded (the service stopped, no session open), the benchmark's
database is copied (`CREATE DATABASE … TEMPLATE`, a file copy), so that the copy keeps the first
bulk tenant alone, and a freshly migrated empty database is made beside it. Once the nine are
loaded into the benchmark's database ("ten"), the three are brought to the same state (vacuumed
and analyzed, then one checkpoint), and:

- reports: a service on "alone" and one on "ten", both started afresh and quiet; for each report,
  one request on each to bring the views up to date, then rounds of requests in turn (rounds.py);
- appends: a service and a POST + INSERT baseline app on "empty" and on "ten", all started afresh,
  the services quiet; the same number of new open incidents on each, the same warm-up, then rounds
  in turn, each round the append load then the baseline on one side.

Only the measured server is under load at any time; the idle ones' background work (the breach
watch's rounds) runs beside both sides alike.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import psutil

from ledger.config import Settings
from ledger.store.database import create_pool
from ledger.store.keys import Scope, create_key
from tests import pg
from tests.benchmark import apps, bulk, rounds
from tests.benchmark.client import latency_figures, one_at_a_time

if TYPE_CHECKING:
    from tests.benchmark.tenants import Bench, Make

# A report's requests per side here: three times `--report-requests` (300 at the full 100). The
# ratio compares two p99s and takes the worst of four reports: a nearest-rank p99 of 100 is the
# second slowest request, so two slow requests on one side decided it (1.05-1.23 on the same code
# in three runs). Of 300 it is the fourth slowest, and the rounds alternate three times as often.
TAIL_REQUESTS = 3
REPORT_ROUNDS = 12  # per side: 25 requests each at the full 300
APPEND_ROUNDS = 4  # per side: a quarter of `--seconds` each (at least one second), append then baseline
REPORT_DEADLINE_S = 240  # per report, both sides: no new round starts after it
QUIET_DEADLINE_S = 600
APP = "tests.benchmark.apps:create"
GB = 1024**3


class Databases(NamedTuple):
    """The three databases of the part: the benchmark's own (ten tenants once loaded), its copy
    with the first bulk tenant alone, and an empty one."""

    ten: str
    alone: str
    empty: str


def _server(url: str) -> str:
    return pg.with_database(url, "postgres")


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def make_copies(url: str) -> tuple[Databases, dict[str, Any]]:
    """The copy of `url` (no session may be open on it) and a freshly migrated empty database; the time each took."""
    alone = f"{_name(url)}_alone"
    conn = await asyncpg.connect(_server(url))
    try:
        t0 = time.perf_counter()
        # FILE_COPY: the files copied after a checkpoint, not every block written again to the WAL.
        await conn.execute(f'CREATE DATABASE "{alone}" TEMPLATE "{_name(url)}" STRATEGY FILE_COPY')
        copy_s = time.perf_counter() - t0
        size = await conn.fetchval("SELECT pg_database_size($1)", alone)
    finally:
        await conn.close()
    t0 = time.perf_counter()
    empty = await pg.create_database(_server(url), prefix=f"{_name(url)}_empty")
    conn = await asyncpg.connect(empty)
    try:
        await conn.execute(apps.TABLES)
    finally:
        await conn.close()
    figures = {
        "copy_s": round(copy_s, 1),
        "copy_gb": round(size / GB, 2),
        "empty_s": round(time.perf_counter() - t0, 1),
        "memory_available_gb": round(psutil.virtual_memory().available / GB, 1),
    }
    return Databases(url, pg.with_database(url, alone), empty), figures


async def drop_copies(dbs: Databases) -> None:
    for url in (dbs.alone, dbs.empty):
        await pg.drop_database(_server(url), url)


async def same_state(dbs: Databases, vacuumed: str) -> dict[str, Any]:
    """The three databases vacuumed and analyzed alike (the ten tenants' main tables were just
    before, by the load), then one checkpoint: no side starts with the other's dirty pages to write."""
    t0 = time.perf_counter()
    every = f"{vacuumed}, bench_events"
    for url, tables in ((dbs.ten, "bench_events"), (dbs.alone, every), (dbs.empty, every)):
        conn = await asyncpg.connect(url, server_settings={"statement_timeout": "0"})
        try:
            await conn.execute(f"VACUUM (ANALYZE) {tables}")
        finally:
            await conn.close()
    conn = await asyncpg.connect(dbs.ten)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return {"seconds": round(time.perf_counter() - t0, 1)}


async def _pool(url: str) -> asyncpg.Pool:
    # (one connection at a time is all `quiet` asks; the server's 100 are for the services)
    return await create_pool(url, Settings(pool_min=1, pool_max=2))


async def _quiet(bench: Bench, pools: dict[str, asyncpg.Pool]) -> dict[str, Any]:
    """Every started service quiet, each on its database (the first wait not before the breach
    watch's first round, one interval after the start, which probes every tenant in full). Twice
    over: the first database may have had work again while the second was waited for."""
    after = Settings.from_env().breach_watch_interval_s + 1
    out: dict[str, Any] = {}
    for n in range(2):
        for side, pool in pools.items():
            out[side] = await bench.quiet(pool, QUIET_DEADLINE_S, after_s=after if not out else 0.0)
            out[side]["pass"] = n + 1
    return out


async def reports(dbs: Databases, tenant: str, args: argparse.Namespace, results: dict[str, Any], bench: Bench) -> None:
    """The first bulk tenant's four reports on "alone" and on "ten", in alternating rounds."""
    s = results["service"]
    urls = {"alone": dbs.alone, "ten": dbs.ten}
    pools = {side: await _pool(url) for side, url in urls.items()}
    try:
        keys = {}
        for side, pool in pools.items():
            async with pool.acquire() as c:
                keys[side] = await create_key(c, tenant, f"bench-reports-{side}", Scope.READ)
        with ExitStack() as servers:
            bases = {side: servers.enter_context(bench.service(url, args.workers)) for side, url in urls.items()}
            s["quiet_before_reports"] = await _quiet(bench, pools)
            bench.say("services quiet before the reports (alone, ten tenants)", s["quiet_before_reports"])
            measured = await _report_rounds(bases, keys, args.report_requests * TAIL_REQUESTS, bench)
    finally:
        for pool in pools.values():
            await pool.close()
    s["reports_tenant_alone"] = {name: sides["alone"] for name, sides in measured.items()}
    s["reports_ten_tenants"] = {name: sides["ten"] for name, sides in measured.items()}
    s.setdefault("tenants_rounds", {})["reports"] = {name: sides["rounds"] for name, sides in measured.items()}


async def _report_rounds(
    bases: dict[str, str], keys: dict[str, str], requests: int, bench: Bench
) -> dict[str, dict[str, Any]]:
    clients = {
        side: httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {keys[side]}"}, timeout=60)
        for side, base in bases.items()
    }
    counts = rounds.shares(requests, min(REPORT_ROUNDS, requests))
    out: dict[str, dict[str, Any]] = {}
    try:
        for name, path in bulk.REPORTS:
            for http in clients.values():
                assert (await http.get(path)).status_code == 200  # (the first brings the views up to date)
            latencies: dict[str, list[float]] = {side: [] for side in clients}
            each, started, current = [], time.perf_counter(), -1
            for r, side in rounds.order(("alone", "ten"), len(counts)):
                if r != current and time.perf_counter() - started > REPORT_DEADLINE_S:
                    break  # (between whole rounds only: both sides keep the same count)
                current = r
                took = await one_at_a_time(_getter(clients[side], path), counts[r])
                latencies[side] += took
                each.append({"round": r, "side": side, **latency_figures(took)})
            out[name] = {side: latency_figures(lat) for side, lat in latencies.items()} | {"rounds": each}
            bench.say(f"GET {path}, the first bulk tenant: alone, ten tenants", {s: out[name][s] for s in clients})
    finally:
        for http in clients.values():
            await http.aclose()
    return out


def _getter(http: httpx.AsyncClient, path: str) -> Callable[[], Awaitable[int]]:
    async def get() -> int:
        return (await http.get(path)).status_code

    return get


async def appends(
    dbs: Databases, keys_ten: list[tuple[str, str]], args: argparse.Namespace, results: dict[str, Any], bench: Bench
) -> None:
    """The append load (on `keys_ten`'s tenants, and as many new ones on "empty") on "empty" and on
    "ten" in alternating rounds; then, the services stopped, their POST + INSERT baseline alike.

    Two pairs, not one round of all four servers: four pools of 40 connections do not fit in a
    server's default 100. The target, (append ÷ POST + INSERT) ten ÷ the same empty, is equally
    (append ten ÷ append empty) ÷ (POST + INSERT ten ÷ empty): each quotient from rounds in turn,
    so a drift between the pairs divides out too."""
    s, b = results["service"], results["baselines"]
    urls = {"empty": dbs.empty, "ten": dbs.ten}
    pools = {side: await _pool(url) for side, url in urls.items()}
    seconds = max(args.seconds / APPEND_ROUNDS, 1.0)
    try:
        keys = {"empty": await bench.new_tenants(pools["empty"], len(keys_ten)), "ten": keys_ten}
        with ExitStack() as servers:
            services = {side: servers.enter_context(bench.service(url, args.workers)) for side, url in urls.items()}
            actions = {}
            for side, base in services.items():
                incidents = await bench.open_incidents(base, keys[side], args.open_incidents // len(keys[side]))
                actions[side] = bench.append_mix(keys[side], incidents)
            s["quiet_before_appends"] = await _quiet(bench, pools)
            bench.say("services quiet before the appends (empty, ten tenants)", s["quiet_before_appends"])
            for side in urls:  # the same warm-up on each
                await bench.load(services[side], args.clients, 1, 2000, actions[side])

            async def append(r: int, side: str) -> dict[str, Any]:
                return await bench.load(services[side], args.clients, seconds, 500_000, actions[side])

            appended = await rounds.alternate(("empty", "ten"), APPEND_ROUNDS, append)
            s["tenants"] |= await _machine(pools["ten"])
        bench.say("append rounds (empty, ten tenants)", {"rounds": appended})
        inserted = await _post_insert(urls, seconds, args, bench)
        bench.say("POST + INSERT rounds (empty, ten tenants)", {"rounds": inserted})
    finally:
        for pool in pools.values():
            await pool.close()
    s["append_empty_database"], s["append_ten_tenants"] = (rounds.summed(appended, side) for side in urls)
    b["post_insert_empty_database"], b["post_insert_ten_tenants"] = (rounds.summed(inserted, side) for side in urls)
    s.setdefault("tenants_rounds", {})["appends"] = appended
    s["tenants_rounds"]["post_inserts"] = inserted
    # (the target's quotients, round by round: append ten ÷ empty, and POST + INSERT ten ÷ empty)
    s["tenants_rounds"]["append_ten_vs_empty_each_round"] = rounds.quotient_each_round(appended, "ten", "empty")
    s["tenants_rounds"]["post_insert_ten_vs_empty_each_round"] = rounds.quotient_each_round(inserted, "ten", "empty")


async def _post_insert(
    urls: dict[str, str], seconds: float, args: argparse.Namespace, bench: Bench
) -> list[dict[str, Any]]:
    """POST + INSERT on a baseline app on each database, warmed up alike, in alternating rounds."""
    note = msgspec.json.encode({"text": "a note of ordinary length", "actor": "bench"})
    insert: Make = lambda c, i: ("POST", "/insert", note, {})  # noqa: E731
    with ExitStack() as servers:
        env = {side: {"BENCH_DATABASE_URL": url, "BENCH_POOL_MAX": "20"} for side, url in urls.items()}
        apps_at = {side: servers.enter_context(bench.granian(APP, env[side], args.workers)) for side in urls}
        for base in apps_at.values():
            await bench.load(base, args.clients, 1, 2000, insert)  # warm-up

        async def post_insert(r: int, side: str) -> dict[str, Any]:
            return await bench.load(apps_at[side], args.clients, seconds, 500_000, insert)

        return await rounds.alternate(tuple(urls), APPEND_ROUNDS, post_insert)


async def _machine(pool: asyncpg.Pool) -> dict[str, Any]:
    """What the two services and their load cost the machine: the server's connections (its limit
    is 100 by default) and the memory left."""
    async with pool.acquire() as c:
        connections = await c.fetchval("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
    return {
        "connections_appends": connections,
        "memory_available_gb_appends": round(psutil.virtual_memory().available / GB, 1),
    }

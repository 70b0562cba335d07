"""Many followers (issue 28, item 2): hundreds of live-feed streams of one tenant while the append load runs.

The followers run in a few processes of their own (`tests.benchmark.crowd`), never in the load
client's. They connect to the service's one port; granian's two workers share them as they accept
(each worker's count is read from its sockets). The append load is the "service" part's own
(acknowledge/assign/reply/note over open incidents of ten tenants, 64 clients); the followers follow
the first tenant, which takes about a tenth of it.

Rounds: without followers, with them, without again; the ratio is the appends per second with
followers over the mean of the two rounds without (the machine's drift falls on both sides). In the
round with followers, every follower's positions in the window are compared with the events the
database holds for it: a position missed or received twice fails the target. The lag is from each
event's commit (`pg_xact_commit_timestamp`), or from `recorded_at` where the server keeps no commit
times. The workers' RSS is read with no load running: before the followers connect, once they are
connected, and after the round with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from tests.benchmark.client import percentile
from tests.benchmark.workers import connections, cpu_s, rss_mb, service_workers

Request = tuple[str, str, bytes | None, dict[str, str]]
Load = Callable[[str, int, float, int, Callable[[int, int], Request]], Awaitable[dict[str, Any]]]
PROCESSES = 4
_CHECKOUT = Path(__file__).resolve().parents[2]

HEAD = "SELECT coalesce(max(position), 0) FROM events WHERE tenant_id = $1"
# When each event of the window committed (unix seconds); NULL without track_commit_timestamp.
WINDOW = """
SELECT position, extract(epoch FROM recorded_at)::float8 AS recorded,
       CASE WHEN current_setting('track_commit_timestamp') = 'on'
            THEN extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 END AS committed
FROM events WHERE tenant_id = $1 AND position > $2 AND position <= $3 ORDER BY position
"""


class Crowd:
    """`followers` streams of the tenant after position `after`, spread over PROCESSES processes."""

    def __init__(self, base: str, key: str, followers: int, after: int) -> None:
        shares = [followers // PROCESSES + (i < followers % PROCESSES) for i in range(PROCESSES)]
        self.args = [(base, key, str(n), str(after)) for n in shares if n]
        self.procs: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> Crowd:
        for args in self.args:
            self.procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.benchmark.crowd",
                    *args,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    cwd=_CHECKOUT,
                    limit=2**24,  # (a summary's lag histogram is one line, often longer than the default 64 KB)
                )
            )
        return self

    async def ready(self) -> int:
        """The followers connected (their responses began), once every process has them all."""
        lines = await asyncio.gather(*(self._line(p) for p in self.procs))
        return sum(int(line.split()[1]) for line in lines)

    async def summary(self, start: int, end: int, committed: dict[int, float]) -> list[dict[str, Any]]:
        """Each process's account of the window (tests.benchmark.crowd.summary)."""
        window = json.dumps({"start": start, "end": end, "committed": committed}).encode() + b"\n"
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.write(window)
        return [json.loads(await self._line(p)) for p in self.procs]

    @staticmethod
    async def _line(p: asyncio.subprocess.Process) -> str:
        assert p.stdout is not None
        line = await asyncio.wait_for(p.stdout.readline(), 180)
        if not line:
            raise RuntimeError("a follower process ended early")
        return line.decode()

    async def __aexit__(self, *exc: object) -> None:
        for p in self.procs:
            if p.returncode is None:
                p.terminate()
        await asyncio.gather(*(p.wait() for p in self.procs))


async def measure(
    base: str, pool: asyncpg.Pool, tenant: tuple[str, str], action: Callable[[int, int], Request],
    load: Load, args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    """The "followers" part: rounds without, with and without followers; what they received."""
    name, key = tenant
    count = args.followers
    round_s = max(2.0, args.seconds * 2 / 3)
    workers = service_workers()
    port = int(base.rsplit(":", 1)[1])
    await load(base, args.clients, 1, 2000, action)  # warm-up
    without = [await _cpu_load(workers, [], load(base, args.clients, round_s, 500_000, action))]
    rss_before = rss_mb(workers)
    async with pool.acquire() as c:
        head = await c.fetchval(HEAD, name)
    async with Crowd(base, key, count, head) as crowd:
        connected = await crowd.ready()
        await asyncio.sleep(1)  # (every stream at its first wait)
        rss_connected, per_worker = rss_mb(workers), connections(workers, port)
        async with pool.acquire() as c:
            start = await c.fetchval(HEAD, name)
        crowd_procs = [psutil.Process(p.pid) for p in crowd.procs]
        with_followers = await _cpu_load(workers, crowd_procs, load(base, args.clients, round_s, 500_000, action))
        async with pool.acquire() as c:
            end = await c.fetchval(HEAD, name)
            rows = await c.fetch(WINDOW, name, start, end)
        since = "commit" if rows and all(r["committed"] is not None for r in rows) else "recorded_at"
        committed = {r["position"]: r["committed"] if since == "commit" else r["recorded"] for r in rows}
        t0 = time.perf_counter()
        accounts = await crowd.summary(start, end, committed)
        settle_s = time.perf_counter() - t0
        rss_after = rss_mb(workers)
    without.append(await _cpu_load(workers, [], load(base, args.clients, round_s, 500_000, action)))
    return _figures(
        count, connected, per_worker, accounts, since, settle_s, (rss_before, rss_connected, rss_after),
        without, with_followers,
    )  # fmt: skip


async def _cpu_load(
    workers: list[psutil.Process], crowd: list[psutil.Process], measured: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    """The load's figures, with the CPU the workers spent per append and the follower processes per second."""
    w0, c0 = cpu_s(workers), cpu_s(crowd)
    figures = await measured
    w1, c1 = cpu_s(workers), cpu_s(crowd)
    figures["worker_cpu_us_per_append"] = round((w1 - w0) / max(figures["requests"], 1) * 1e6)
    if crowd:
        figures["follower_processes_cpu_s_per_s"] = round((c1 - c0) / figures["seconds"], 2)
    return figures


def _figures(
    count: int, connected: int, per_worker: list[int], accounts: list[dict[str, Any]], since: str,
    settle_s: float, rss: tuple[list[float], list[float], list[float]], without: list[dict[str, Any]],
    with_followers: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    lags: Counter[int] = Counter()
    for account in accounts:
        lags.update({int(k): v for k, v in account["lag_tenth_ms"].items()})
    ordered = sorted(lags.elements())
    before, with_them, after = rss
    growth_kb = (sum(with_them) - sum(before)) * 1024 / max(connected, 1)
    baseline = sum(r["per_second"] for r in without) / len(without)
    return {
        "followers": count,
        "connected": connected,
        "per_worker": per_worker,
        "window_events": accounts[0]["expected"] if accounts else 0,
        "received_whole": sum(a["complete"] for a in accounts),
        "missed": sum(a["missing"] for a in accounts),
        "repeated": sum(a["repeated"] for a in accounts),
        "dropped": sum(a["dropped"] for a in accounts),
        "settle_s": round(settle_s, 2),
        "lag": {
            "from": since,
            "receipts": len(ordered),
            "p50_ms": round(percentile(ordered, 50) / 10, 1),
            "p99_ms": round(percentile(ordered, 99) / 10, 1),
            "max_ms": round(ordered[-1] / 10, 1) if ordered else None,
        },
        "rss_mb": {"before": before, "connected": with_them, "after_load": after},
        "rss_kb_per_follower": round(growth_kb, 1),
        "append_without": without,
        "append_with": with_followers,
        "append_ratio": round(with_followers["per_second"] / baseline, 3) if baseline else None,
    }

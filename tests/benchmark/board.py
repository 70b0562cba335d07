"""The crisis room's board in the benchmark (`--only board`): two figures, never asserted in tests.

- `board_render`: `GET /` (the board, rendered on the server) for a tenant with OPEN open
  incidents, on a signed-in session's cookie, as the browser receives it (the whole body; the
  service compresses nothing). One client in sequence, then CLIENTS at once; p50/p99 over both.
- `board_visible`: a board open in headless Chromium (Playwright, the system's Chromium), an
  incident detected through the API, and the time from the API's 201 to its row in the board's
  DOM. A MutationObserver in the page stamps each incident's row when it first appears with
  `Date.now()`; the 201 is stamped with `time.time()`: the same wall clock of this machine, so the
  two compare (performance.now() would count from the page's own origin). One sample at a time,
  each waited for, so that one event's refresh does not carry the next.

Without a Chromium the second figure is infinite, its target reported not met, and the reason said.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ledger.store.keys import Scope, create_key
from tests.benchmark.client import Connection, percentile

OPEN = 500
CLIENTS = 8
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# Stamps every incident's row the first time it is in the board (the live board replaces all its
# rows on each refresh: a row seen before is not stamped again).
_OBSERVE = """() => {
  window.__seen = {};
  const rows = document.getElementById("board-rows");
  const stamp = () => {
    const now = Date.now();
    rows.querySelectorAll("tr[data-incident]").forEach((tr) => {
      const id = tr.dataset.incident;
      if (!(id in window.__seen)) window.__seen[id] = now;
    });
  };
  stamp();
  new MutationObserver(stamp).observe(rows, { childList: true, subtree: true });
}"""


def _detection(title: str, severity: str = "sev2", reach: int = 120_000) -> dict[str, Any]:
    return {"title": title, "severity": severity, "channel": "x", "scenario": "product-defect", "reach": reach}


def chromium() -> str | None:
    """The system's Chromium, as the browser tests find it."""
    for candidate in (os.environ.get("PLAYWRIGHT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


async def measure(base: str, pool: asyncpg.Pool, args: argparse.Namespace) -> dict[str, Any]:
    tenant = f"board-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        key = await create_key(conn, tenant, "bench", Scope.WRITE)
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await _open_incidents(http, auth, OPEN)
        cookie = await _sign_in(http, key)
    requests = 100 if args.quick else 400
    out: dict[str, Any] = {"board_render": await _renders(base, cookie, requests)}
    out["board_render"]["open_incidents"] = OPEN
    print(f"  board render, {OPEN} open: {out['board_render']}", file=sys.stderr, flush=True)
    out["board_visible"] = await _visible(base, key, auth, samples=50 if args.quick else 100)
    print(f"  board, an appended event visible: {out['board_visible']}", file=sys.stderr, flush=True)
    return out


async def _open_incidents(http: httpx.AsyncClient, auth: dict[str, str], n: int) -> None:
    """`n` open incidents detected through the API, 16 at a time, of every severity."""
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        body = _detection(f"Open incident {i}", f"sev{1 + i % 4}", 1_000 * (i + 1))
        async with gate:
            r = await http.post("/v1/incidents", json=body, headers=auth)
        assert r.status_code == 201, r.text

    await asyncio.gather(*(one(i) for i in range(n)))


async def _sign_in(http: httpx.AsyncClient, key: str) -> str:
    """The session cookie's header value, signed in through the sign-in form as a person would."""
    page = await http.get("/login")
    token = _CSRF.search(page.text)
    assert token is not None
    signed = await http.post("/login", data={"api_key": key, "csrf": token.group(1)})
    assert signed.status_code == 303, signed.text
    return f"ledger_session={http.cookies['ledger_session']}"


async def _renders(base: str, cookie: str, requests: int) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    headers = {"cookie": cookie, "accept": "text/html"}
    sizes: list[int] = []

    async def client(n: int) -> list[float]:
        conn = await Connection(host, int(port)).open()
        took = []
        try:
            for _ in range(n):
                reply = await conn.request("GET", "/", None, headers)
                assert reply.status == 200 and b'id="board-rows"' in reply.body, reply.status
                took.append(reply.seconds)
                sizes.append(len(reply.body))
        finally:
            await conn.close()
        return took

    await client(10)  # warm-up (templates compiled, caches filled)
    started = time.perf_counter()
    sequential = await client(requests // 2)
    concurrent = [
        t for ts in await asyncio.gather(*(client(requests // 2 // CLIENTS) for _ in range(CLIENTS))) for t in ts
    ]
    seconds = time.perf_counter() - started
    every = sequential + concurrent
    ms = lambda values, p: round(percentile(values, p) * 1000, 1)  # noqa: E731
    return {
        "requests": len(every),
        "per_second": round(len(every) / seconds, 1),
        "p50_ms": ms(every, 50),
        "p99_ms": ms(every, 99),
        "sequential_p50_ms": ms(sequential, 50),
        "sequential_p99_ms": ms(sequential, 99),
        f"concurrent_{CLIENTS}_p99_ms": ms(concurrent, 99),
        "body_kb": round(max(sizes) / 1024, 1),
    }


async def _visible(base: str, key: str, auth: dict[str, str], samples: int) -> dict[str, Any]:
    path = chromium()
    if path is None:
        return {
            "samples": 0,
            "p50_ms": float("inf"),
            "p99_ms": float("inf"),
            "note": "no Chromium (apt-get install -y chromium, or PLAYWRIGHT_CHROMIUM): not measured, not met",
        }
    from playwright.async_api import async_playwright

    lags: list[float] = []
    async with async_playwright() as playwright, httpx.AsyncClient(base_url=base, timeout=30) as http:
        browser = await playwright.chromium.launch(executable_path=path)
        try:
            page = await (await browser.new_context(base_url=base)).new_page()
            await page.goto("/login")
            await page.get_by_label("API key").fill(key)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_selector('#live-status[data-state="live"]', timeout=30_000)
            await page.evaluate(_OBSERVE)
            for i in range(samples):
                r = await http.post("/v1/incidents", json=_detection(f"Seen live {i}"), headers=auth)
                answered_ms = time.time() * 1000
                assert r.status_code == 201, r.text
                handle = await page.wait_for_function(
                    "(id) => window.__seen[id]", arg=r.json()["id"], timeout=10_000, polling=5
                )
                lags.append(max(0.0, float(await handle.json_value()) - answered_ms))
        finally:
            await browser.close()
    return {
        "samples": len(lags),
        "p50_ms": round(percentile(lags, 50), 1),
        "p99_ms": round(percentile(lags, 99), 1),
        "max_ms": round(max(lags), 1),
        "chromium": path,
    }

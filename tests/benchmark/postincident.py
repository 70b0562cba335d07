"""The post-incident review of a long incident (issue 28, item 4): `GET /v1/incidents/{id}/review`.

One incident of 2,000 events is built through the API as a crisis room writes it (an
acknowledgement, then 16 clients adding public replies, notes, assignments and a few severity
changes, and a resolution), then its review is asked for one request at a time, as Markdown and as
HTML: p50 and p99 of each. Not a target (the issue asks for the figure); seconds would be a finding.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from tests.benchmark.client import Connection, latency_figures, one_at_a_time

Request = tuple[str, str, bytes | None, dict[str, str]]
Load = Callable[[str, int, float, int, Callable[[int, int], Request]], Awaitable[dict[str, Any]]]
EVENTS = 2_000
REQUESTS = 40


async def measure(base: str, key: str, load: Load, args: argparse.Namespace) -> dict[str, Any]:
    """The "postincident" part: build a 2,000-event incident, then time its review."""
    auth = {"authorization": f"Bearer {key}"}
    host, port = base.removeprefix("http://").rsplit(":", 1)

    async def connection() -> Connection:
        # (a fresh one for each step: the server closes a keep-alive connection left idle meanwhile)
        return await Connection(host, int(port)).open()

    conn = await connection()
    detect = msgspec.json.encode({"title": "a long crisis", "severity": "sev2", "channel": "x"})
    created = await conn.request("POST", "/v1/incidents", detect, auth)
    assert created.status == 201, created.body
    path = f"/v1/incidents/{created.json()['id']}"
    assert (await conn.request("POST", f"{path}/acknowledge", b"{}", auth)).status == 201
    await conn.close()
    t0 = time.perf_counter()
    write, errors, version = _writes(path, auth), 0, 2
    for _ in range(5):  # (a refused write, such as a severity it already has, is written again)
        errors += sum((await load(base, 16, 120, EVENTS - 1 - version, write))["errors"].values())
        conn = await connection()
        version = (await conn.request("GET", path, None, auth)).json()["version"]
        await conn.close()
        if version >= EVENTS - 1:
            break
    conn = await connection()
    try:
        resolve = msgspec.json.encode({"summary": "Fixed; every customer was answered."})
        assert (await conn.request("POST", f"{path}/resolve", resolve, auth)).status == 201
        built_s = time.perf_counter() - t0
        figures: dict[str, Any] = {"events": version + 1, "build_s": round(built_s, 1), "build_refused": errors}
        for name, accept in (("markdown", "text/markdown"), ("html", "text/html")):
            figures[name] = await _timed(conn, f"{path}/review", {**auth, "accept": accept}, REQUESTS)
    finally:
        await conn.close()
    return figures


def _writes(path: str, auth: dict[str, str]) -> Callable[[int, int], Request]:
    rng = random.Random(4)
    people = itertools.count()
    severities = itertools.cycle(["sev1", "sev2"])

    def write(c: int, i: int) -> Request:
        roll = rng.random()
        if roll < 0.3:
            text = f"We are sorry for the trouble with your order ({c}-{i}); our team is on it and will reply here."
            body = {"channel": "x", "visibility": "public", "text": text, "drafted_by": f"d{c}@brand.example"}
            return "POST", f"{path}/replies", msgspec.json.encode(body), auth
        if roll < 0.45:
            body = {"role": "social_responder", "assignee": f"p{next(people)}@brand.example"}
            return "POST", f"{path}/assignments", msgspec.json.encode(body), auth
        if roll < 0.46:
            body = {"severity": next(severities), "reason": "reach changed"}
            return "POST", f"{path}/severity", msgspec.json.encode(body), auth
        body = {"text": f"Checked the thread again at step {i}: sentiment steady, no new press questions."}
        return "POST", f"{path}/notes", msgspec.json.encode(body), auth

    return write


async def _timed(conn: Connection, path: str, headers: dict[str, str], n: int) -> dict[str, Any]:
    size = 0

    async def get() -> int:
        nonlocal size
        reply = await conn.request("GET", path, None, headers)
        assert reply.status == 200, (reply.status, reply.body[:200])
        size = len(reply.body)
        return reply.status

    figures = latency_figures(await one_at_a_time(get, n))
    return {"requests": figures.pop("requests"), "bytes": size, **figures}  # (in the order printed before)

"""The edge middleware (ledger.http.edge) on its own: request ids, the access log, the latency
histogram and the deadline, around small ASGI apps that stand for the routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest
import structlog
from prometheus_client import REGISTRY
from structlog.testing import LogCapture

from ledger.http import edge as edge_module
from ledger.http.edge import edge
from tests.conftest import new_tenant

EXEMPT = ("/v1/events/stream",)


@pytest.fixture
def logs(monkeypatch):
    """What edge logs. (Its loggers are cached on first use, so they are swapped for fresh ones.)"""
    capture = LogCapture()
    saved = structlog.get_config()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level, capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=False,
    )
    monkeypatch.setattr(edge_module, "access", structlog.get_logger("access"))
    monkeypatch.setattr(edge_module, "log", structlog.get_logger("edge"))
    yield capture.entries
    structlog.configure(**saved)


def _route(status: int = 201, body: bytes = b"{}", *, pause: float = 0.0, template: str = "/v1/things/{id:uuid}"):
    async def app(scope: dict, receive: Any, send: Callable[[dict], Awaitable[None]]) -> None:
        scope["path_template"] = template  # as Litestar's router sets it
        if pause:
            await asyncio.sleep(pause)
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"x")]})
        await send({"type": "http.response.body", "body": body})

    return app


def _scope(path: str = "/v1/things/1", headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": headers or []}


async def _call(app, scope: dict) -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _count(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("ledger_http_request_duration_seconds_count", labels) or 0.0


async def test_a_sane_request_id_is_kept_and_logged_with_the_request(logs):
    app = edge(5.0, EXEMPT)(_route(201))
    sent = await _call(app, _scope(headers=[(b"x-request-id", b"abc-123")]))
    assert sent[0]["status"] == 201
    assert (b"x-request-id", b"abc-123") in sent[0]["headers"] and (b"content-type", b"x") in sent[0]["headers"]
    [line] = [e for e in logs if e["event"] == "request"]
    assert line["request_id"] == "abc-123" and line["status"] == 201
    assert line["method"] == "POST" and line["path"] == "/v1/things/1" and line["duration_ms"] >= 0


async def test_an_insane_or_missing_request_id_gets_a_new_one_each_time(logs):
    app = edge(5.0, EXEMPT)(_route(200))
    ids = []
    for given in ([(b"x-request-id", b"bad id\twith tab")], [], [(b"x-request-id", b"x" * 129)]):
        sent = await _call(app, _scope(headers=given))
        [value] = [v for k, v in sent[0]["headers"] if k == b"x-request-id"]
        ids.append(value.decode())
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and len(set(ids)) == 3
    assert [e["request_id"] for e in logs if e["event"] == "request"] == ids


async def test_latency_is_counted_by_route_template_and_status_not_for_metrics_itself(logs):
    template = "/v1/edge-test/{id:uuid}"
    before = _count("POST", template, 409)
    await _call(edge(5.0, EXEMPT)(_route(409, template=template)), _scope())
    assert _count("POST", template, 409) == before + 1
    before_metrics = _count("POST", "/metrics", 200)
    await _call(edge(5.0, EXEMPT)(_route(200, template="/metrics")), _scope("/metrics"))
    assert _count("POST", "/metrics", 200) == before_metrics


async def test_past_its_deadline_a_request_answers_503_with_its_id(logs):
    template = "/v1/edge-slow/{id:uuid}"
    before = _count("POST", template, 503)
    sent = await _call(edge(0.05, EXEMPT)(_route(201, pause=5, template=template)), _scope())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 503 and headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1" and len(headers[b"x-request-id"]) == 32
    problem = msgspec.json.decode(sent[1]["body"])
    assert problem["type"] == "urn:crisis-ledger:problem:timeout" and problem["status"] == 503
    assert _count("POST", template, 503) == before + 1
    assert [e["status"] for e in logs if e["event"] == "request"] == [503]
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["request_deadline_exceeded"]


async def test_a_response_already_started_is_not_answered_twice():
    async def app(scope: dict, receive: Any, send: Callable[[dict], Awaitable[None]]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(5)

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    with pytest.raises(TimeoutError):
        await edge(0.05, EXEMPT)(app)(_scope(), None, send)
    assert [m.get("status") for m in sent] == [200]


async def test_streams_are_exempt_from_the_deadline():
    sent = await _call(edge(0.02, EXEMPT)(_route(200, pause=0.1)), _scope("/v1/events/stream"))
    assert sent[0]["status"] == 200


async def test_a_stream_that_must_start_in_time_has_the_deadline_until_it_starts(logs):
    """The what-if: 503 if its answer has not started by the deadline; once started, no deadline."""
    started = ("/v1/policy/what-if",)

    async def slow_stream(scope: dict, receive: Any, send: Callable[[dict], Awaitable[None]]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(4):
            await asyncio.sleep(0.03)
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent = await _call(edge(0.05, EXEMPT, started)(slow_stream), _scope("/v1/policy/what-if"))
    assert sent[0]["status"] == 200 and b"".join(m.get("body", b"") for m in sent) == b"xxxx"
    late = await _call(edge(0.05, EXEMPT, started)(_route(200, pause=5)), _scope("/v1/policy/what-if"))
    assert late[0]["status"] == 503
    # Elsewhere the same stream is cut at the deadline.
    with pytest.raises(TimeoutError):
        await _call(edge(0.05, EXEMPT, started)(slow_stream), _scope("/v1/reports/sla"))


async def test_other_scopes_pass_through_untouched():
    seen: list[dict] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        seen.append(scope)

    scope = {"type": "lifespan"}
    await edge(5.0, EXEMPT)(app)(scope, None, None)
    assert seen == [{"type": "lifespan"}]


# Through the real app: answers the router gives before any route runs.


async def test_unmatched_answers_carry_a_request_id_a_log_line_and_a_count(app_client, pool, logs):
    tenant = await new_tenant(pool, "edge")
    cases = [
        ("GET", "/no/such/path", 404, "unmatched"),
        ("GET", "/v1/incidents/not-a-uuid", 404, "unmatched"),
        ("DELETE", "/v1/policy", 405, "unmatched"),
        ("BREW", "/v1/policy", 405, "unmatched"),
    ]
    for method, path, status, route in cases:
        label = method if method != "BREW" else "other"
        before = _count(label, route, status)
        r = await app_client.request(method, path, headers={**tenant.auth("read"), "X-Request-ID": f"edge-{status}"})
        assert r.status_code == status, (method, path, r.text)
        assert r.headers["x-request-id"] == f"edge-{status}"
        assert r.headers["content-type"] == "application/problem+json"
        assert _count(label, route, status) == before + 1, (method, path)
        line = [e for e in logs if e["event"] == "request"][-1]
        assert (line["method"], line["path"], line["status"]) == (method, path, status)
        assert line["request_id"] == f"edge-{status}"
    assert "allow" in {k.lower() for k in r.headers}  # a 405 says what is allowed


async def test_options_names_every_method_of_the_path(app_client, pool):
    tenant = await new_tenant(pool, "opt")  # (OPTIONS takes the key its controller's routes take)
    expected = {
        "/v1/audit/checkpoints": "GET, OPTIONS, POST",
        "/v1/webhooks/00000000-0000-0000-0000-000000000001": "DELETE, GET, OPTIONS, PATCH",
        "/v1/webhooks": "GET, OPTIONS, POST",
        "/v1/policy": "GET, OPTIONS, PUT",
        "/v1/incidents": "GET, OPTIONS, POST",
    }
    for path, allow in expected.items():
        r = await app_client.options(path, headers=tenant.auth("admin"))
        assert r.status_code == 204, path
        assert r.headers["allow"] == allow, path
        assert len(r.headers["x-request-id"]) == 32

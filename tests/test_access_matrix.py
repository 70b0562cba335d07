"""Every endpoint crossed with {no key, wrong key, revoked key, read, write, admin, another tenant's key}.

The endpoints come from the served OpenAPI document: one without a case here fails the test,
so a new endpoint cannot ship without its access rules being checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from ledger.store.keys import revoke_key
from tests import clock
from tests.conftest import Tenant, detect_body, new_tenant

Setup = Callable[[Any, Tenant], Awaitable[dict[str, str]]]


async def _incident(client, tenant: Tenant, **overrides: Any) -> dict[str, str]:
    r = await client.post("/v1/incidents", json=detect_body(**overrides), headers=tenant.auth())
    assert r.status_code == 201, r.text
    return {"incident_id": r.json()["id"]}


async def _resolved(client, tenant: Tenant) -> dict[str, str]:
    ids = await _incident(client, tenant)
    r = await client.post(f"/v1/incidents/{ids['incident_id']}/resolve", json={"summary": "s"}, headers=tenant.auth())
    assert r.status_code == 201
    return ids


async def _assigned(client, tenant: Tenant) -> dict[str, str]:
    ids = await _incident(client, tenant)
    body = {"role": "legal", "assignee": "lawyer"}
    r = await client.post(f"/v1/incidents/{ids['incident_id']}/assignments", json=body, headers=tenant.auth())
    assert r.status_code == 201
    return {**ids, "role": "legal", "assignee": "lawyer"}


async def _nothing(client, tenant: Tenant) -> dict[str, str]:
    return {}


async def _webhook(client, tenant: Tenant) -> dict[str, str]:
    # A public address (no DNS needed), and only for notices no test here causes: nothing is sent.
    body = {"url": "https://93.184.216.34/hook", "event_types": ["sla_notice"]}
    r = await client.post("/v1/webhooks", json=body, headers=tenant.auth("admin"))
    assert r.status_code == 201, r.text
    return {"webhook_id": r.json()["id"]}


def _signal() -> dict[str, Any]:
    return {"dedup_key": f"acl-{uuid.uuid4()}", "title": "t", "severity": "sev3", "channel": "x"}


@dataclass(frozen=True)
class Case:
    scope: str  # the least scope that may call it
    ok: int  # the status a permitted, valid call gets
    setup: Setup = _nothing
    body: Any = None
    query: str = ""
    owned: bool = False  # the path names one of the tenant's resources: other tenants get 404
    appends: bool = True  # a permitted write appends events (webhook changes do not)
    also_ok: int | None = None  # a second success status that depends on state (200 for "already there")


def _what_if() -> dict[str, Any]:
    now = clock.now()
    since, until = (now - timedelta(days=7)).isoformat(), (now + timedelta(days=1)).isoformat()
    return {"policy": POLICY, "since": since, "until": until}


POLICY = {
    "roles": ["incident_lead", "social_responder", "communications", "legal", "customer_support", "executive_sponsor"],
    "severities": {
        sev: {
            "required_roles": ["incident_lead"],
            "targets": {
                "acknowledge": {"seconds": 300, "calendar": None},
                "first_response": {"seconds": 1800, "calendar": None},
                "update": None,
                "resolve": {"seconds": 86400, "calendar": None},
            },
        }
        for sev in ("sev1", "sev2", "sev3", "sev4")
    },
}

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/v1/incidents"): Case("write", 201, body=detect_body()),
    ("GET", "/v1/incidents"): Case("read", 200),
    ("GET", "/v1/incidents/{incident_id}"): Case("read", 200, _incident, owned=True),
    ("GET", "/v1/incidents/{incident_id}/events"): Case("read", 200, _incident, owned=True),
    ("GET", "/v1/incidents/{incident_id}/statements"): Case("read", 200, _incident, owned=True),
    ("GET", "/v1/incidents/{incident_id}/sla"): Case("read", 200, _incident, owned=True),
    ("GET", "/v1/incidents/{incident_id}/coverage"): Case("read", 200, _incident, owned=True),
    ("GET", "/v1/incidents/{incident_id}/review"): Case("read", 200, _incident, owned=True),
    ("POST", "/v1/incidents/{incident_id}/acknowledge"): Case("write", 201, _incident, body={}, owned=True),
    ("POST", "/v1/incidents/{incident_id}/assignments"): Case(
        "write", 201, _incident, body={"role": "legal", "assignee": "x"}, owned=True
    ),
    ("DELETE", "/v1/incidents/{incident_id}/assignments/{role}/{assignee}"): Case("write", 201, _assigned, owned=True),
    ("POST", "/v1/incidents/{incident_id}/replies"): Case(
        "write", 201, _incident, body={"channel": "x", "visibility": "public", "text": "hi"}, owned=True
    ),
    ("POST", "/v1/incidents/{incident_id}/severity"): Case(
        "write", 201, _incident, body={"severity": "sev1"}, owned=True
    ),
    ("POST", "/v1/incidents/{incident_id}/notes"): Case("write", 201, _incident, body={"text": "n"}, owned=True),
    ("POST", "/v1/incidents/{incident_id}/resolve"): Case("write", 201, _incident, body={"summary": "s"}, owned=True),
    ("POST", "/v1/incidents/{incident_id}/reopen"): Case("write", 201, _resolved, body={"reason": "r"}, owned=True),
    ("GET", "/v1/events"): Case("read", 200),
    ("GET", "/v1/policy"): Case("read", 200),
    ("PUT", "/v1/policy"): Case("admin", 200, body=POLICY),
    ("GET", "/v1/policy/history"): Case("read", 200),
    ("POST", "/v1/policy/what-if"): Case("read", 200, _incident, body=_what_if, appends=False),
    ("GET", "/v1/reports/sla"): Case("read", 200),
    ("GET", "/v1/reports/coverage"): Case("read", 200),
    ("POST", "/v1/signals"): Case("write", 201, body=_signal),
    ("POST", "/v1/replies/review"): Case("read", 200, body={"text": "We are sorry. Please DM us."}, appends=False),
    ("POST", "/v1/webhooks"): Case(
        "admin", 201, body={"url": "https://93.184.216.34/x", "enabled": False}, appends=False
    ),
    ("GET", "/v1/webhooks"): Case("admin", 200),
    ("GET", "/v1/webhooks/{webhook_id}"): Case("admin", 200, _webhook, owned=True),
    ("PATCH", "/v1/webhooks/{webhook_id}"): Case(
        "admin", 200, _webhook, body={"event_types": ["sla_notice", "resolved"]}, owned=True, appends=False
    ),
    ("DELETE", "/v1/webhooks/{webhook_id}"): Case("admin", 204, _webhook, owned=True, appends=False),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): Case("admin", 200, _webhook, owned=True),
    ("POST", "/v1/webhooks/{webhook_id}/redeliver"): Case(
        "admin", 200, _webhook, body={"after": 0}, owned=True, appends=False
    ),
    ("GET", "/v1/audit/verify"): Case("read", 200),
    ("GET", "/v1/audit/public-key"): Case("read", 200),
    ("GET", "/v1/audit/checkpoints"): Case("read", 200),
    ("POST", "/v1/audit/checkpoints"): Case("admin", 201, _incident, appends=False, also_ok=200),
    ("GET", "/v1/audit/export"): Case("read", 200),
    ("GET", "/v1/audit/events"): Case("read", 200),
}
# A live stream never ends, which the in-process client cannot take: its matrix runs against a
# real server in tests/test_stream.py (test_stream_access_matrix), with the same identities.
ELSEWHERE = {("GET", "/v1/events/stream"): "tests/test_stream.py::test_stream_access_matrix"}
UNAUTHENTICATED = {("GET", "/healthz"), ("GET", "/readyz")}
IDENTITIES = ("none", "wrong", "revoked", "read", "write", "admin", "other")
RANK = {"read": 1, "write": 2, "admin": 3}


@pytest.fixture(scope="module")
async def tenants(pool):
    mine = await new_tenant(pool, "acl")
    other = await new_tenant(pool, "acl-other")
    revoked = await new_tenant(pool, "acl-rev")
    async with pool.acquire() as conn:
        await revoke_key(conn, revoked.name, "admin-key")
    return mine, other, revoked


async def test_every_endpoint_has_a_case(app_client):
    schema = (await app_client.get("/schema/openapi.json")).json()
    operations = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    missing = operations - set(CASES) - set(ELSEWHERE) - UNAUTHENTICATED
    assert not missing, f"endpoints without an access case: {sorted(missing)}"


def _headers(identity: str, mine: Tenant, other: Tenant, revoked: Tenant) -> dict[str, str]:
    match identity:
        case "none":
            return {}
        case "wrong":
            return {"Authorization": "Bearer clk_" + "A" * 43}
        case "revoked":
            return revoked.auth("admin")
        case "other":
            return other.auth("admin")
    return mine.auth(identity)


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("operation", sorted(CASES), ids=lambda op: f"{op[0]} {op[1]}")
async def test_access(app_client, tenants, pool, operation, identity):
    mine, other, revoked = tenants
    method, template = operation
    case = CASES[operation]
    params = await case.setup(app_client, mine)
    url = template.format(**params) + case.query
    before = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", mine.name)
    body = case.body() if callable(case.body) else case.body
    r = await app_client.request(method, url, json=body, headers=_headers(identity, mine, other, revoked))
    if identity in ("none", "wrong", "revoked"):
        expected = 401
    elif identity == "other":
        expected = 404 if case.owned else case.ok
    else:
        expected = case.ok if RANK[identity] >= RANK[case.scope] else 403
    if case.also_ok is not None and expected == case.ok and r.status_code == case.also_ok:
        expected = case.also_ok
    assert r.status_code == expected, r.text
    if expected >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
    after = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", mine.name)
    if identity != "other" and expected < 400 and method != "GET" and case.appends:
        assert after > before
    else:
        assert after == before  # refused (or another tenant's call): nothing written here
    if identity == "other":
        # Another tenant learns nothing of this one: its 404 only repeats the id it was asked
        # for (exactly as for an id that exists nowhere), and no answer carries our data.
        if case.owned and "incident_id" in params:
            assert r.json()["detail"] == f"incident {params['incident_id']} not found"
        elif case.owned:
            assert r.json()["detail"] == f"webhook {params['webhook_id']} not found"
        else:
            assert not any(v in r.text for v in params.values())
        assert mine.name not in r.text
        ours = [str(row["id"]) for row in await pool.fetch("SELECT id FROM incidents WHERE tenant_id = $1", mine.name)]
        leaked = [i for i in ours if i in r.text and i != params.get("incident_id")]
        assert not leaked


async def test_unknown_and_foreign_ids_answer_alike(app_client, tenants):
    mine, other, _ = tenants
    theirs = (await _incident(app_client, other))["incident_id"]
    unknown = str(uuid.uuid4())
    answers = []
    for iid in (theirs, unknown):
        r = await app_client.get(f"/v1/incidents/{iid}", headers=mine.auth("admin"))
        answers.append((r.status_code, r.json()["type"], r.json()["title"], r.json()["detail"].replace(iid, "ID")))
    assert answers[0] == answers[1]

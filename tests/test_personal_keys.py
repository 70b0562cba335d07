"""Personal keys: a write with one is recorded as its person, `actor_verified: true`; naming anyone
else is refused and writes nothing; integration keys still claim their actor. `actor_verified` is
chained: flipping it is found by verify and by the offline check, and histories recorded before
it existed (rows with NULL) still verify, online and offline."""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from pathlib import Path

import msgspec
import pytest

from ledger.audit.chain import Walker
from ledger.audit.export_check import verify_export
from ledger.domain.errors import InvalidValue
from ledger.feed.payloads import Payload, payloads
from ledger.service import access
from ledger.store.audit import SPELLED_COLUMNS
from ledger.store.events import EventStore
from ledger.store.group_commit import APPEND, AppendCall
from ledger.store.keys import Scope, create_key, revoke_key
from schemas.events import rfc3339
from tests import clock
from tests.conftest import Tenant, detect_body, new_tenant
from tests.test_audit import _export, _public_key, _verify, tamper
from tests.test_cli import _run

AYSE = "ayse@brand.example"
INVALID = "urn:crisis-ledger:problem:invalid-value"


async def _personal(
    pool, tenant: Tenant, person: str = AYSE, scope: Scope = Scope.WRITE, name: str | None = None
) -> dict[str, str]:
    async with pool.acquire() as conn:
        key = await create_key(conn, tenant.name, name or f"{person}-{scope.name.lower()}", scope, person)
    return {"Authorization": f"Bearer {key}"}


async def _events(client, tenant: Tenant) -> list[dict]:
    r = await client.get("/v1/events", params={"limit": 1000}, headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _head(pool, tenant: Tenant) -> int:
    return await pool.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant.name)


async def test_a_personal_key_writes_as_its_person_and_an_integration_key_claims(app_client, pool):
    tenant = await new_tenant(pool, "pk")
    ayse = await _personal(pool, tenant)
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=ayse)
    assert r.status_code == 201, r.text
    incident = r.json()["id"]
    r = await app_client.post(f"/v1/incidents/{incident}/acknowledge", json={"actor": AYSE}, headers=ayse)
    assert r.status_code == 201, r.text  # naming herself is fine
    r = await app_client.post(
        f"/v1/incidents/{incident}/notes", json={"text": "n", "actor": "bob"}, headers=tenant.auth()
    )
    assert r.status_code == 201, r.text
    r = await app_client.post(f"/v1/incidents/{incident}/notes", json={"text": "n"}, headers=tenant.auth())
    assert r.status_code == 201, r.text

    expected = [(AYSE, True, "ayse@brand.example-write"), (AYSE, True, "ayse@brand.example-write"),
                ("bob", False, "write-key"), ("write-key", False, "write-key")]  # fmt: skip
    seen = [(e["actor"], e["actor_verified"], e["recorded_by"]) for e in await _events(app_client, tenant)]
    assert seen == expected
    r = await app_client.get(f"/v1/incidents/{incident}/events", headers=tenant.auth("read"))
    assert [(e["actor"], e["actor_verified"]) for e in r.json()["items"]] == [(a, v) for a, v, _ in expected]
    r = await app_client.get("/v1/audit/events", params={"actor": AYSE}, headers=tenant.auth("read"))
    assert [e["actor_verified"] for e in r.json()["items"]] == [True, True]
    stored = await pool.fetch("SELECT actor_verified FROM events WHERE tenant_id = $1 ORDER BY position", tenant.name)
    assert [row["actor_verified"] for row in stored] == [True, True, False, False]
    assert (await _verify(app_client, tenant))["ok"] is True


async def test_a_personal_key_naming_someone_else_is_refused_and_writes_nothing(app_client, pool):
    tenant = await new_tenant(pool, "pk")
    ayse = await _personal(pool, tenant)
    admin = await _personal(pool, tenant, scope=Scope.ADMIN)
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=ayse)
    incident = r.json()["id"]
    head = await _head(pool, tenant)

    refused = [
        ("/v1/incidents", detect_body(actor="bob")),
        (f"/v1/incidents/{incident}/notes", {"text": "n", "actor": "bob"}),
        (f"/v1/incidents/{incident}/acknowledge", {"actor": f"{AYSE}-write"}),  # (not even the key's own name)
        ("/v1/signals", {"dedup_key": "k", "title": "t", "severity": "sev3", "channel": "x", "actor": "bob"}),
    ]
    for path, body in refused:
        r = await app_client.post(path, json=body, headers={**ayse, "Idempotency-Key": f"k-{uuid.uuid4()}"})
        assert r.status_code == 422, (path, r.text)
        assert (r.json()["type"], r.json()["field"]) == (INVALID, "actor"), r.json()
        assert f"recorded as {AYSE}, not as {body['actor']}" in r.json()["detail"]
    policy = (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()
    r = await app_client.put("/v1/policy", json={**policy, "actor": "bob"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "actor", r.text

    assert await _head(pool, tenant) == head  # nothing appended, not even a gap
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1", tenant.name) == 0
    assert await pool.fetchval("SELECT count(*) FROM incidents WHERE tenant_id = $1", tenant.name) == 1

    r = await app_client.put("/v1/policy", json=policy, headers=admin)  # no actor named: the person
    assert r.status_code == 200, r.text
    [changed] = [e for e in await _events(app_client, tenant) if e["type"] == "policy_changed"]
    assert (changed["actor"], changed["actor_verified"]) == (AYSE, True)
    history = (await app_client.get("/v1/policy/history", headers=tenant.auth("read"))).json()
    assert history["items"][0]["changed_by"] == AYSE
    r = await app_client.post("/v1/signals", json={"dedup_key": "k", "title": "t", "severity": "sev3",
                                                    "channel": "x", "actor": AYSE}, headers=ayse)  # fmt: skip
    assert r.status_code == 201, r.text
    assert (await _events(app_client, tenant))[-1]["actor_verified"] is True
    assert (await _verify(app_client, tenant))["ok"] is True


async def test_a_revoked_personal_key_is_refused_and_its_events_stay_verified(app_client, pool, monkeypatch):
    monkeypatch.setattr(access, "KEY_CACHE_SECONDS", 0)  # (else this process trusts the key it found for 1 s)
    tenant = await new_tenant(pool, "pk")
    ayse = await _personal(pool, tenant)
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=ayse)
    assert r.status_code == 201
    async with pool.acquire() as conn:
        assert await revoke_key(conn, tenant.name, f"{AYSE}-write") == 1
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=ayse)
    assert r.status_code == 401
    assert [e["actor_verified"] for e in await _events(app_client, tenant)] == [True]


async def test_the_person_is_kept_as_the_rules_keep_names_and_matched_so(app_client, pool):
    tenant = await new_tenant(pool, "pk")
    composed = "Ay\u015fe Y\u0131lmaz"  # (ş as one code point)
    headers = await _personal(pool, tenant, person="Ays\u0327e Y\u0131lmaz", name="ayse")  # (s + combining cedilla)
    stored = await pool.fetchval("SELECT person FROM api_keys WHERE tenant_id = $1 AND name = 'ayse'", tenant.name)
    assert stored == composed
    r = await app_client.post("/v1/incidents", json=detect_body(actor="Ays\u0327e Y\u0131lmaz"), headers=headers)
    assert r.status_code == 201, r.text  # the same name, typed the other way
    assert [(e["actor"], e["actor_verified"]) for e in await _events(app_client, tenant)] == [(composed, True)]
    async with pool.acquire() as conn:
        for bad in ("", "ayse\u200b@brand.example", "a" * 201):
            with pytest.raises(InvalidValue) as refused:
                await create_key(conn, tenant.name, "other", Scope.WRITE, bad)
            assert refused.value.extra["field"] == "person"


async def test_keys_create_with_a_person(database_url, pool):
    created = _run(database_url, "keys", "create", "--tenant", "cli-p", "--name", "ayse", "--scope", "write",
                   "--person", AYSE)  # fmt: skip
    assert created.returncode == 0, created.stderr
    row = await pool.fetchrow("SELECT person, scope FROM api_keys WHERE tenant_id = 'cli-p' AND name = 'ayse'")
    assert (row["person"], row["scope"]) == (AYSE, "write")
    plain = _run(database_url, "keys", "create", "--tenant", "cli-p", "--name", "bot", "--scope", "write")
    assert plain.returncode == 0
    assert await pool.fetchval("SELECT person FROM api_keys WHERE tenant_id = 'cli-p' AND name = 'bot'") is None
    bad = _run(database_url, "keys", "create", "--tenant", "cli-p", "--name", "x", "--scope", "read",
               "--person", "ay\u202ese")  # fmt: skip
    assert bad.returncode == 2 and bad.stdout == "" and "person may not contain the bidirectional" in bad.stderr
    revoked = _run(database_url, "keys", "revoke", "--tenant", "cli-p", "--name", "ayse")
    assert revoked.returncode == 0
    assert await pool.fetchval(
        "SELECT revoked_at IS NOT NULL FROM api_keys WHERE tenant_id = 'cli-p' AND name = 'ayse'"
    )


async def test_the_live_feeds_notification_carries_actor_verified(app_client, pool):
    tenant = await new_tenant(pool, "pk")
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=await _personal(pool, tenant))
    assert r.status_code == 201
    [stored] = await EventStore(pool).read_feed(tenant.name, 0, 10)
    assert stored.actor_verified is True
    [payload] = payloads("elsewhere", tenant.name, [stored])
    assert msgspec.json.decode(payload, type=Payload).changes[0].event(tenant.name) == stored


# --- the chain ------------------------------------------------------------------------------------


async def _mixed_history(app_client, pool) -> tuple[Tenant, str]:
    """An incident with events of a personal key, of an integration key, and two rows appended as
    the service did before personal keys (actor_verified NULL, hashed without it) in between."""
    tenant = await new_tenant(pool, "pkc")
    ayse = await _personal(pool, tenant)
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=ayse)
    incident = r.json()["id"]
    await app_client.post(f"/v1/incidents/{incident}/notes", json={"text": "by a tool"}, headers=tenant.auth())
    for n in (3, 4):
        await _append_as_before(pool, tenant.name, uuid.UUID(incident), n - 1, f"old note {n}")
    for headers in (ayse, tenant.auth()):
        r = await app_client.post(f"/v1/incidents/{incident}/notes", json={"text": "new"}, headers=headers)
        assert r.status_code == 201, r.text
    return tenant, incident


async def _append_as_before(pool, tenant: str, incident: uuid.UUID, expected: int, text: str) -> None:
    """A note appended as the code before personal keys did: its digest, and NULL for actor_verified."""
    event_id, at, data = uuid.uuid4(), clock.now(), {"kind": "note", "text": text}
    # The digest as the code before personal keys spelled it (schemas/events.py then): no actor_verified.
    body = {"actor": "old-tool", "data": data, "id": str(event_id), "incident_id": str(incident),
            "occurred_at": rfc3339(at), "recorded_by": "old-key", "tenant_id": tenant, "type": "noted",
            "version": expected + 1}  # fmt: skip
    digest = hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()
    call = AppendCall(
        tenant=tenant,
        incident_id=incident,
        expected_version=expected,
        ids=[event_id],
        types=["noted"],
        occurred_at=[at],
        data=[json.dumps(data)],
        digests=[digest],
        actor="old-tool",
        actor_verified=None,  # type: ignore[arg-type]  (what the column holds for rows from before)
        recorded_by="old-key",
        idempotency_key=None,
        request_hash=None,
        status_code=201,
        status=None,
        severity=None,
        scenario=None,
        channel=None,
        dedup_key=None,
        detected_at=None,
    )
    row = await pool.fetchrow(APPEND, *call)
    assert row["outcome"] == "appended", row["outcome"]


async def test_a_history_recorded_before_personal_keys_still_verifies(app_client, pool, tmp_path: Path):
    tenant, _ = await _mixed_history(app_client, pool)
    stored = await pool.fetch("SELECT actor_verified FROM events WHERE tenant_id = $1 ORDER BY position", tenant.name)
    assert [row["actor_verified"] for row in stored] == [True, False, None, None, True, False]
    assert [e["actor_verified"] for e in await _events(app_client, tenant)] == [True, False, False, False, True, False]

    report = await _verify(app_client, tenant)
    assert report["ok"] is True and report["checked"] == 6, report
    spelled = await pool.fetch(
        f"SELECT {SPELLED_COLUMNS} FROM events WHERE tenant_id = $1 ORDER BY position", tenant.name
    )
    assert Walker(tenant.name).take_spelled(spelled) == 6  # the fast path takes the old rows as they are
    r = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert r.status_code == 201 and r.json()["position"] == 6

    public_key = await _public_key(app_client, tenant)
    path = await _export(app_client, tenant, tmp_path)
    result = verify_export(path, public_key)
    assert result["ok"] is True and result["signed"] is True and result["checked"] == 6, result
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    events = [line for line in lines if line["kind"] == "event"]
    assert [e["actor_verified"] for e in events] == [True, False, None, None, True, False]  # as stored
    # A file exported before personal keys has no such member: it is read as NULL.
    old_style = tmp_path / "old-style.ndjson"
    old_style.write_text(
        "".join(
            json.dumps({k: v for k, v in line.items() if not (k == "actor_verified" and v is None)}) + "\n"
            for line in lines
        )
    )
    assert verify_export(old_style, public_key)["ok"] is True


async def test_a_flipped_actor_verified_is_found_online_and_offline(app_client, pool, tmp_path: Path):
    # position 1 verified → false; 2 false → true; 3 NULL (before) → false; 5 verified → NULL
    for position, value in [(1, False), (2, True), (3, False), (5, None)]:
        tenant, _ = await _mixed_history(app_client, pool)
        public_key = await _public_key(app_client, tenant)
        await tamper(pool, ("UPDATE events SET actor_verified = $3 WHERE tenant_id = $1 AND position = $2",
                            tenant.name, position, value))  # fmt: skip
        report = await _verify(app_client, tenant)
        assert report["ok"] is False
        assert (report["problem"]["position"], report["problem"]["kind"]) == (position, "changed"), report
        result = verify_export(await _export(app_client, tenant, tmp_path), public_key)
        assert result["ok"] is False
        assert (result["problem"]["position"], result["problem"]["kind"]) == (position, "changed"), result


async def test_an_export_with_actor_verified_edited_fails_the_offline_check(app_client, pool, tmp_path: Path):
    tenant, _ = await _mixed_history(app_client, pool)
    path = await _export(app_client, tenant, tmp_path)
    public_key = await _public_key(app_client, tenant)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        if line["kind"] == "event" and line["position"] == 6:
            line["actor_verified"] = True  # an integration key's claim passed off as verified
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = verify_export(path, public_key)
    assert result["ok"] is False and (result["problem"]["position"], result["problem"]["kind"]) == (6, "changed")


async def test_the_crisis_room_writes_as_the_signed_in_person(app_client, pool):
    """A personal key's session acts as its person, verified, on the incident page and the plan page."""
    from tests.test_crisis_room_http import _CSRF, _VERSION, sign_in

    tenant = await new_tenant(pool, "pkw")
    async with pool.acquire() as conn:
        key = await create_key(conn, tenant.name, "ayse-browser", Scope.ADMIN, AYSE)
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    incident = r.json()["id"]
    csrf = await sign_in(app_client, key)
    board = await app_client.get("/")
    assert f"Signed in as <strong>{AYSE}</strong>" in board.text
    done = await app_client.post(f"/incidents/{incident}/actions/acknowledge", data={"csrf": csrf, "version": "1"})
    assert done.status_code == 303, done.text
    page = await app_client.get(done.headers["location"])
    assert "✓ verified" in page.text and "claimed" in page.text  # (the detection came from an integration key)
    plan = await app_client.get("/plan")
    document = re.search(r'<textarea id="plan-document"[^>]*>(.*?)</textarea>', plan.text, re.S).group(1)
    version = _VERSION.search(plan.text).group(1)
    form = {"csrf": _CSRF.search(plan.text).group(1), "version": version, "document": html.unescape(document)}
    saved = await app_client.post("/plan", data=form)
    assert saved.status_code == 303, saved.text
    app_client.cookies.clear()
    events = await _events(app_client, tenant)
    assert [(e["type"], e["actor"], e["actor_verified"]) for e in events] == [
        ("detected", "write-key", False),
        ("acknowledged", AYSE, True),
        ("policy_changed", AYSE, True),
    ]

"""Audit: tampering behind the application's back is found and located — by the service's verify
and by the offline export check — checkpoints are signed, and `as_of` answers match the history."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit.export_check import verify_export
from tests import clock
from tests.conftest import Tenant, detect_body, new_tenant


async def _history(client, tenant: Tenant, incidents: int = 3) -> list[str]:
    """A few incidents with several events each, interleaved in the feed."""
    ids = []
    for n in range(incidents):
        r = await client.post("/v1/incidents", json=detect_body(title=f"incident {n}"), headers=tenant.auth())
        ids.append(r.json()["id"])
    for iid in ids:
        await client.post(f"/v1/incidents/{iid}/acknowledge", json={}, headers=tenant.auth())
        reply = {"channel": "x", "visibility": "public", "text": "We are looking into it.", "approved_by": "legal"}
        await client.post(f"/v1/incidents/{iid}/replies", json=reply, headers=tenant.auth())
        await client.post(f"/v1/incidents/{iid}/notes", json={"text": "internal note"}, headers=tenant.auth())
    return ids


async def _verify(client, tenant: Tenant, **params) -> dict:
    r = await client.get("/v1/audit/verify", params=params, headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    return r.json()


async def _export(client, tenant: Tenant, tmp_path: Path, **params) -> Path:
    r = await client.get("/v1/audit/export", params=params, headers=tenant.auth("read"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    path = tmp_path / f"{tenant.name}.ndjson"
    path.write_bytes(r.content)
    return path


async def _public_key(client, tenant: Tenant) -> str:
    return (await client.get("/v1/audit/public-key", headers=tenant.auth("read"))).json()["public_key"]


async def tamper(pool, *statements: tuple) -> None:
    """As a database superuser, with the immutability triggers off for the purpose."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER ALL")
        for sql, *args in statements:
            await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER ALL")


async def test_an_untouched_history_verifies_online_and_offline(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant)
    report = await _verify(app_client, tenant)
    assert report["ok"] is True and report["problem"] is None and report["checked"] == 12
    assert report["head"]["position"] == 12
    result = verify_export(await _export(app_client, tenant, tmp_path), await _public_key(app_client, tenant))
    assert result["ok"] is True and result["checked"] == 12 and result["from_genesis"] is True
    assert result["covered_up_to"] == 12 and result["checkpoints_verified"] >= 1


# (name, statements given the tenant, expected position, expected kinds online, offline)
def _changed_payload(t: str) -> list[tuple]:
    return [
        ("UPDATE events SET data = jsonb_set(data, '{text}', '\"all fine\"') WHERE tenant_id = $1 AND position = 8", t)
    ]


def _deleted_event(t: str) -> list[tuple]:
    return [("DELETE FROM events WHERE tenant_id = $1 AND position = 6", t)]


def _swapped(t: str) -> list[tuple]:
    return [
        ("UPDATE events SET position = -1 WHERE tenant_id = $1 AND position = 5", t),
        ("UPDATE events SET position = 5 WHERE tenant_id = $1 AND position = 6", t),
        ("UPDATE events SET position = 6 WHERE tenant_id = $1 AND position = -1", t),
    ]


def _incident_deleted(t: str) -> list[tuple]:
    # The second incident: detected at position 2, its other events at 6, 7, 8.
    return [
        ("DELETE FROM events WHERE tenant_id = $1 AND incident_id = "
         "(SELECT incident_id FROM events WHERE tenant_id = $1 AND position = 2)", t),
    ]  # fmt: skip


def _truncated(t: str) -> list[tuple]:
    return [("DELETE FROM events WHERE tenant_id = $1 AND position > 9", t)]


def _truncated_and_head_rewound(t: str) -> list[tuple]:
    return [
        ("DELETE FROM events WHERE tenant_id = $1 AND position > 9", t),
        ("UPDATE tenants SET head_position = 9, head_hash = "
         "(SELECT hash FROM events WHERE tenant_id = $1 AND position = 9) WHERE id = $1", t),
    ]  # fmt: skip


def _changed_recorded_at(t: str) -> list[tuple]:
    return [
        ("UPDATE events SET recorded_at = recorded_at - interval '1 hour' WHERE tenant_id = $1 AND position = 4", t)
    ]


def _changed_actor(t: str) -> list[tuple]:
    return [("UPDATE events SET actor = 'someone-else' WHERE tenant_id = $1 AND position = 10", t)]


def _changed_version(t: str) -> list[tuple]:
    return [("UPDATE events SET version = 9 WHERE tenant_id = $1 AND position = 11", t)]


SCENARIOS = {
    "changed payload": (_changed_payload, 8, {"changed"}),
    "deleted event": (_deleted_event, 6, {"missing"}),
    "two events swapped": (_swapped, 5, {"reordered"}),
    "whole incident deleted": (_incident_deleted, 2, {"missing"}),
    "newest events truncated": (_truncated, 10, {"missing"}),
    "truncated and head row rewound": (_truncated_and_head_rewound, 10, {"missing"}),
    "recorded_at backdated": (_changed_recorded_at, 4, {"changed"}),
    "actor changed": (_changed_actor, 10, {"changed"}),
    "incident version changed": (_changed_version, 11, {"changed"}),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_tampering_is_detected_and_located(app_client, pool, tmp_path, name):
    statements, position, kinds = SCENARIOS[name]
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant)
    public_key = await _public_key(app_client, tenant)
    # The service has signed the head (as its periodic task does); an auditor kept that checkpoint.
    kept = (await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))).json()
    assert kept["position"] == 12

    await tamper(pool, *statements(tenant.name))

    report = await _verify(app_client, tenant)
    assert report["ok"] is False
    assert (report["problem"]["position"], report["problem"]["kind"]) in {(position, k) for k in kinds}, report
    assert report["problem"]["detail"]

    offline = verify_export(await _export(app_client, tenant, tmp_path), public_key)
    assert offline["ok"] is False
    assert offline["problem"]["position"] == position, offline
    assert offline["problem"]["kind"] in kinds | {"changed", "missing"}

    # And the auditor's kept checkpoint no longer extends to today's history.
    extends = await _verify(app_client, tenant, position=kept["position"], hash=kept["head_hash"])
    assert extends["ok"] is False


async def test_an_event_copied_from_another_tenant_is_foreign(app_client, pool, tmp_path):
    tenant, other = await new_tenant(pool, "aud"), await new_tenant(pool, "aud")
    await _history(app_client, tenant, incidents=1)
    await _history(app_client, other, incidents=1)
    public_key = await _public_key(app_client, tenant)
    copy = (
        "INSERT INTO events (tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
        " recorded_by, data, prev_hash, hash)"
        " SELECT $1, 5, id, incident_id, version, type, occurred_at, recorded_at, actor, recorded_by, data,"
        " prev_hash, hash FROM events WHERE tenant_id = $2 AND position = 3"
    )
    await tamper(
        pool, (copy, tenant.name, other.name), ("UPDATE tenants SET head_position = 5 WHERE id = $1", tenant.name)
    )
    report = await _verify(app_client, tenant)
    assert report["ok"] is False
    assert (report["problem"]["position"], report["problem"]["kind"]) == (5, "foreign"), report
    offline = verify_export(await _export(app_client, tenant, tmp_path), public_key)
    assert offline["ok"] is False and offline["problem"]["position"] == 5


async def test_a_consistently_rehashed_rewrite_is_caught_by_the_signed_checkpoint(app_client, pool, tmp_path):
    """The attacker changes an event and recomputes every later hash and the head: the chain is
    self-consistent, but the signed checkpoint pins the old hash."""
    from ledger.audit.chain import row_hash, rows_of

    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant)
    public_key = await _public_key(app_client, tenant)
    await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    await tamper(pool, ("UPDATE events SET actor = 'forger' WHERE tenant_id = $1 AND position = 7", tenant.name))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER ALL")
        prev = None
        async for row in rows_of(conn, tenant.name):
            record = dict(row)
            if prev is not None:
                record["prev_hash"] = prev
            fixed = row_hash(record, tenant.name)
            await conn.execute(
                "UPDATE events SET prev_hash = $3, hash = $4 WHERE tenant_id = $1 AND position = $2",
                tenant.name,
                row["position"],
                record["prev_hash"],
                fixed,
            )
            prev = fixed
        await conn.execute("UPDATE tenants SET head_hash = $2 WHERE id = $1", tenant.name, prev)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER ALL")
    report = await _verify(app_client, tenant)
    assert report["ok"] is False and report["problem"]["kind"] == "changed"
    assert report["problem"]["position"] == 12  # the signed position whose hash no longer matches
    offline = verify_export(await _export(app_client, tenant, tmp_path), public_key)
    assert offline["ok"] is False and offline["problem"]["position"] == 12


async def test_a_forged_checkpoint_is_refused(app_client, pool):
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant, incidents=1)
    await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE audit_checkpoints SET head_hash = repeat('a', 64) WHERE tenant_id = $1", tenant.name)
    report = await _verify(app_client, tenant)
    assert report["ok"] is False and report["problem"]["kind"] == "changed"


async def test_checkpoints_are_signed_and_any_change_breaks_the_signature(app_client, pool):
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant, incidents=1)
    first = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    again = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    cp = first.json()
    key = await app_client.get("/v1/audit/public-key", headers=tenant.auth("read"))
    assert key.json()["algorithm"] == "ed25519" and key.json()["key_id"] == cp["key_id"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.json()["public_key"]))

    def signed(c: dict) -> bytes:
        # The message as the README documents it, built independently of the service's code.
        at = datetime.fromisoformat(c["signed_at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = f"crisis-ledger checkpoint v1\ntenant:{c['tenant']}\nposition:{c['position']}\n"
        return (text + f"head:{c['head_hash']}\nsigned_at:{at}\n").encode()

    public.verify(base64.b64decode(cp["signature"]), signed(cp))  # raises if it does not verify
    from cryptography.exceptions import InvalidSignature

    later = (datetime.fromisoformat(cp["signed_at"]) + timedelta(seconds=1)).isoformat()
    for field, value in [
        ("tenant", "other"),
        ("position", cp["position"] + 1),
        ("head_hash", "0" * 64),
        ("signed_at", later),
    ]:
        with pytest.raises(InvalidSignature):
            public.verify(base64.b64decode(cp["signature"]), signed({**cp, field: value}))

    listed = (await app_client.get("/v1/audit/checkpoints", headers=tenant.auth("read"))).json()
    assert listed["items"][0] == cp


async def test_todays_history_extends_a_kept_checkpoint(app_client, pool):
    tenant = await new_tenant(pool, "aud")
    ids = await _history(app_client, tenant, incidents=1)
    kept = (await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))).json()
    await app_client.post(f"/v1/incidents/{ids[0]}/notes", json={"text": "later"}, headers=tenant.auth())
    ok = await _verify(app_client, tenant, position=kept["position"], hash=kept["head_hash"])
    assert ok["ok"] is True and ok["head"]["position"] == kept["position"] + 1
    wrong = await _verify(app_client, tenant, position=kept["position"], hash="b" * 64)
    assert wrong["ok"] is False and wrong["problem"]["position"] == kept["position"]
    r = await app_client.get("/v1/audit/verify", params={"position": 3}, headers=tenant.auth("read"))
    assert r.status_code == 422


async def test_a_window_export_verifies_from_its_anchor_and_a_cut_file_does_not(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "aud")
    ids = await _history(app_client, tenant, incidents=1)
    middle = (await app_client.get("/v1/events?after=2&limit=1", headers=tenant.auth("read"))).json()["items"][0]
    await app_client.post(f"/v1/incidents/{ids[0]}/notes", json={"text": "later"}, headers=tenant.auth())
    public_key = await _public_key(app_client, tenant)
    path = await _export(app_client, tenant, tmp_path, since=middle["recorded_at"])
    result = verify_export(path, public_key)
    assert result["ok"] is True and result["first_position"] == 3 and result["from_genesis"] is False, result["problem"]
    lines = path.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.ndjson"
    cut.write_bytes(b"".join(lines[:-2]))
    broken = verify_export(cut, public_key)
    assert broken["ok"] is False and broken["problem"]["kind"] == "missing"


def test_verify_export_command_works_offline(tmp_path):
    """The CLI needs no database: a malformed file is exit 2, and the JSON answer is printed."""
    bad = tmp_path / "x.ndjson"
    bad.write_text("not json\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledger.cli",
            "audit",
            "verify-export",
            str(bad),
            "--public-key",
            base64.b64encode(bytes(32)).decode(),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": "postgresql://nowhere.invalid/none"},
        timeout=60,
    )
    assert run.returncode == 2 and "not" in run.stderr


async def test_verify_export_command_on_a_real_export(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant, incidents=1)
    path = await _export(app_client, tenant, tmp_path)
    key = await _public_key(app_client, tenant)
    run = subprocess.run(  # noqa: ASYNC221 - a short child process; nothing else runs meanwhile
        [sys.executable, "-m", "ledger.cli", "audit", "verify-export", str(path), "--public-key", key],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["ok"] is True
    # On a pipe: plain progress lines, then a summary for a person (stdout stays the JSON).
    checked = json.loads(run.stdout)["checked"]
    assert f"verify-export: {checked:,}/{checked:,} events (100%)" in run.stderr
    assert run.stderr.splitlines()[-1].endswith("export offline: intact.")
    await tamper(pool, ("UPDATE events SET actor = 'x' WHERE tenant_id = $1 AND position = 2", tenant.name))
    path = await _export(app_client, tenant, tmp_path)
    run = subprocess.run(  # noqa: ASYNC221 - a short child process; nothing else runs meanwhile
        [sys.executable, "-m", "ledger.cli", "audit", "verify-export", str(path), "--public-key", key],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and json.loads(run.stdout)["problem"]["position"] == 2
    assert "offline: BROKEN" in run.stderr


async def test_as_of_answers_match_the_history(app_client, pool):
    tenant = await new_tenant(pool, "aud")
    created = await app_client.post("/v1/incidents", json=detect_body(severity="sev3"), headers=tenant.auth())
    iid = created.json()["id"]
    steps = [
        ("assignments", {"role": "incident_lead", "assignee": "ayse"}),
        ("severity", {"severity": "sev1", "reason": "press"}),
        ("replies", {"channel": "x", "visibility": "public", "text": "On it.",
                     "approved_by": "legal", "drafted_by": "mehmet"}),
        ("resolve", {"summary": "done"}),
    ]  # fmt: skip
    for action, body in steps:
        r = await app_client.post(f"/v1/incidents/{iid}/{action}", json=body, headers=tenant.auth())
        assert r.status_code == 201, r.text
    history = (await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    expectations = [
        {"version": 1, "status": "open", "severity": "sev3", "assignments": [], "first_response_at": None},
        {"version": 2, "status": "open", "severity": "sev3", "assignments": ["ayse"], "first_response_at": None},
        {"version": 3, "status": "open", "severity": "sev1", "assignments": ["ayse"], "first_response_at": None},
        {"version": 4, "status": "open", "severity": "sev1", "assignments": ["ayse"], "first_response_at": "set"},
        {"version": 5, "status": "resolved", "severity": "sev1", "assignments": ["ayse"], "first_response_at": "set"},
    ]
    for event, want in zip(history, expectations, strict=True):
        r = await app_client.get(
            f"/v1/incidents/{iid}", params={"as_of": event["recorded_at"]}, headers=tenant.auth("read")
        )
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["version"] == want["version"] and got["status"] == want["status"]
        assert got["severity"] == want["severity"]
        assert [a["assignee"] for a in got["assignments"]] == want["assignments"]
        assert (got["first_response_at"] is not None) == (want["first_response_at"] == "set")
    before = datetime.fromisoformat(history[0]["recorded_at"]) - timedelta(microseconds=1)
    r = await app_client.get(f"/v1/incidents/{iid}", params={"as_of": before.isoformat()}, headers=tenant.auth("read"))
    assert r.status_code == 404
    # Statement provenance: who drafted, who approved, who sent it and when, and the text's hash.
    reply = history[3]
    assert reply["data"]["drafted_by"] == "mehmet" and reply["data"]["approved_by"] == "legal"
    assert reply["actor"] and reply["occurred_at"]
    import hashlib

    assert reply["data"]["text_sha256"] == hashlib.sha256(b"On it.").hexdigest()


async def test_who_did_what_across_incidents(app_client, pool):
    tenant = await new_tenant(pool, "aud")
    ids = await _history(app_client, tenant, incidents=2)
    await app_client.post(f"/v1/incidents/{ids[0]}/notes", json={"text": "n", "actor": "ayse"}, headers=tenant.auth())
    await app_client.post(f"/v1/incidents/{ids[1]}/notes", json={"text": "n", "actor": "ayse"}, headers=tenant.auth())
    page = (await app_client.get("/v1/audit/events", params={"actor": "ayse"}, headers=tenant.auth("read"))).json()
    assert [(e["incident_id"], e["actor"]) for e in page["items"]] == [(ids[0], "ayse"), (ids[1], "ayse")]
    replies = (
        await app_client.get("/v1/audit/events", params={"type": "replied", "limit": 1}, headers=tenant.auth("read"))
    ).json()
    assert len(replies["items"]) == 1 and replies["next"] is not None
    rest = (
        await app_client.get(
            "/v1/audit/events", params={"type": "replied", "cursor": replies["next"]}, headers=tenant.auth("read")
        )
    ).json()
    assert [e["type"] for e in rest["items"]] == ["replied"] and rest["next"] is None
    by_key = (
        await app_client.get("/v1/audit/events", params={"recorded_by": "write-key"}, headers=tenant.auth("read"))
    ).json()
    assert len(by_key["items"]) == 10
    future = (clock.now().astimezone() + timedelta(days=1)).isoformat()
    later = (await app_client.get("/v1/audit/events", params={"since": future}, headers=tenant.auth("read"))).json()
    assert later["items"] == []


async def test_audit_verify_command_checks_every_tenant(app_client, pool, database_url):
    tenant = await new_tenant(pool, "aud")
    await _history(app_client, tenant, incidents=1)
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url}

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ledger.cli", "audit", "verify", "--tenant", tenant.name],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    run = await asyncio.to_thread(verify)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["ok"] is True
    # On a pipe: plain progress lines, then a summary for a person (stdout stays the JSON).
    checked = json.loads(run.stdout)["checked"]
    assert f"verify: {checked:,}/{checked:,} events (100%)" in run.stderr
    assert run.stderr.splitlines()[-1] == f"Verified 1 tenant chain(s), {checked} events: all intact."
    await tamper(pool, ("UPDATE events SET actor = 'x' WHERE tenant_id = $1 AND position = 3", tenant.name))
    run = await asyncio.to_thread(verify)
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["tenant"] == tenant.name and report["problem"]["position"] == 3

"""Tampering not listed in the issue: each change made behind the application's back is found and
located by the service's verify and, where the change is in the exported events, by the offline check."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import checkpoints
from ledger.audit.chain import check, moved_from, row_hash
from ledger.audit.export_check import verify_export
from ledger.config import Settings
from ledger.store.audit import INSERT_CHECKPOINT
from tests import clock
from tests.conftest import detect_body, new_tenant
from tests.test_audit import _export, _history, _public_key, _verify, tamper


def _renumbered(t: str) -> list[tuple]:
    """Event 6 deleted, every later one moved down a position, the head row following."""
    return [
        ("DELETE FROM events WHERE tenant_id = $1 AND position = 6", t),
        ("UPDATE events SET position = -position WHERE tenant_id = $1 AND position > 6", t),
        ("UPDATE events SET position = -position - 1 WHERE tenant_id = $1 AND position < 0", t),
        ("UPDATE tenants SET head_position = head_position - 1 WHERE id = $1", t),
    ]


def _prev_hash(t: str) -> list[tuple]:
    return [("UPDATE events SET prev_hash = repeat('e', 64) WHERE tenant_id = $1 AND position = 7", t)]


def _hash(t: str) -> list[tuple]:
    return [("UPDATE events SET hash = repeat('e', 64) WHERE tenant_id = $1 AND position = 9", t)]


def _type(t: str) -> list[tuple]:
    return [("UPDATE events SET type = 'acknowledged' WHERE tenant_id = $1 AND position = 12", t)]


def _occurred_at(t: str) -> list[tuple]:
    return [
        ("UPDATE events SET occurred_at = occurred_at - interval '5 minutes' WHERE tenant_id = $1 AND position = 5", t)
    ]


def _recorded_by(t: str) -> list[tuple]:
    return [("UPDATE events SET recorded_by = 'admin-key' WHERE tenant_id = $1 AND position = 3", t)]


def _actor_verified(t: str) -> list[tuple]:
    """An integration key's claimed actor passed off as verified."""
    return [("UPDATE events SET actor_verified = NOT actor_verified WHERE tenant_id = $1 AND position = 4", t)]


def _moved_incident(t: str) -> list[tuple]:
    # The first incident's reply re-attributed to the second incident.
    return [
        ("UPDATE events SET incident_id = (SELECT incident_id FROM events WHERE tenant_id = $1 AND position = 2)"
         ", version = 50 WHERE tenant_id = $1 AND position = 5", t),
    ]  # fmt: skip


def _replayed_at_end(t: str) -> list[tuple]:
    """An old event of the tenant copied to the end as if appended again (the head row following)."""
    copy = (
        "INSERT INTO events (tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
        " recorded_by, data, prev_hash, hash)"
        " SELECT $1, 13, gen_random_uuid(), incident_id, 99, type, occurred_at, recorded_at, actor, recorded_by, data,"
        " prev_hash, hash FROM events WHERE tenant_id = $1 AND position = 8"
    )
    return [(copy, t), ("UPDATE tenants SET head_position = 13 WHERE id = $1", t)]


def _inserted(t: str) -> list[tuple]:
    """A made-up event slipped in at position 13 that links to the real head (but cannot be hashed right)."""
    forged = (
        "INSERT INTO events (tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
        " recorded_by, data, prev_hash, hash)"
        " SELECT $1, 13, gen_random_uuid(), incident_id, 5, 'noted', occurred_at, recorded_at, actor, recorded_by,"
        ' \'{"text": "all approved", "kind": "decision"}\', hash, repeat(\'f\', 64)'
        " FROM events WHERE tenant_id = $1 AND position = 12"
    )
    return [(forged, t), ("UPDATE tenants SET head_position = 13, head_hash = repeat('f', 64) WHERE id = $1", t)]


# name -> (statements, position, kind online, kind offline or None when the export has no such data)
SCENARIOS = {
    "event deleted and later ones renumbered": (_renumbered, 6, "missing", "missing"),
    "prev_hash changed": (_prev_hash, 7, "changed", "changed"),
    "hash column changed": (_hash, 9, "changed", "changed"),
    "type column changed": (_type, 12, "changed", "changed"),
    "occurred_at changed": (_occurred_at, 5, "changed", "changed"),
    "recorded_by changed": (_recorded_by, 3, "changed", "changed"),
    "actor_verified flipped": (_actor_verified, 4, "changed", "changed"),
    "event moved to another incident": (_moved_incident, 5, "changed", "changed"),
    "old event replayed at the end": (_replayed_at_end, 13, "reordered", "reordered"),
    "forged event appended": (_inserted, 13, "changed", "changed"),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_unlisted_tampering_is_found_and_located(app_client, pool, tmp_path, name):
    statements, position, online, offline = SCENARIOS[name]
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant)
    public_key = await _public_key(app_client, tenant)
    await tamper(pool, *statements(tenant.name))

    report = await _verify(app_client, tenant)
    assert report["ok"] is False
    assert (report["problem"]["position"], report["problem"]["kind"]) == (position, online), report["problem"]

    result = verify_export(await _export(app_client, tenant, tmp_path), public_key)
    assert result["ok"] is False
    assert (result["problem"]["position"], result["problem"]["kind"]) == (position, offline), result["problem"]


async def test_a_changed_head_row_is_named(app_client, pool):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE tenants SET head_hash = repeat('c', 64) WHERE id = $1", tenant.name)
    report = await _verify(app_client, tenant)
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 4, "changed")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE tenants SET head_position = 7 WHERE id = $1", tenant.name)
    report = await _verify(app_client, tenant)
    assert (report["problem"]["position"], report["problem"]["kind"]) == (5, "missing"), report


@pytest.mark.parametrize(
    ("column", "value", "detail"),
    [
        ("version", "1", "version 1 (events: 4)"),
        ("status", "'resolved'", "status resolved (events: open)"),
        ("severity", "'sev4'", "severity sev4 (events: sev2)"),
        ("last_position", "2", "last_position 2"),
        ("dedup_key", "'other'", "dedup_key"),
    ],
)
async def test_the_stream_table_must_agree_with_the_events(app_client, pool, column, value, detail):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    async with pool.acquire() as conn:
        await conn.execute(f"UPDATE incidents SET {column} = {value} WHERE tenant_id = $1", tenant.name)
    report = await _verify(app_client, tenant)
    assert report["ok"] is False and report["problem"]["kind"] == "changed", report
    assert report["problem"]["position"] == 4 and detail in report["problem"]["detail"]
    assert report["problem"]["event_id"] is not None


async def test_a_stream_row_without_events_and_events_without_a_row(app_client, pool):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=2)
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO incidents (tenant_id, id, version, status, severity, channel, detected_at,"
            " created_position, last_position) VALUES ($1, $2, 1, 'open', 'sev2', 'x', now(), 9, 9)",
            tenant.name,
            uuid.uuid4(),
        )
    report = await _verify(app_client, tenant)
    assert (report["problem"]["position"], report["problem"]["kind"]) == (9, "missing"), report
    other = await new_tenant(pool, "tam")
    await _history(app_client, other, incidents=2)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM incidents WHERE tenant_id = $1 AND created_position = 1", other.name)
    report = await _verify(app_client, other)
    assert (report["problem"]["kind"], report["problem"]["position"]) == ("missing", 5), report


async def test_a_stored_policy_must_be_its_event(app_client, pool):
    tenant = await new_tenant(pool, "tam")
    current = (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()
    r = await app_client.put("/v1/policy", json={k: v for k, v in current.items() if k != "version"},
                             headers=tenant.auth("admin"))  # fmt: skip
    assert r.status_code == 200, r.text
    await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    assert (await _verify(app_client, tenant))["ok"] is True
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE policies SET document = jsonb_set(document, '{roles}', '[\"incident_lead\"]') WHERE tenant_id = $1",
            tenant.name,
        )
    report = await _verify(app_client, tenant)
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 1, "changed")


async def test_deleting_everything_is_caught_by_the_newest_checkpoint(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    public_key = await _public_key(app_client, tenant)
    await tamper(
        pool,
        ("DELETE FROM events WHERE tenant_id = $1", tenant.name),
        ("DELETE FROM incidents WHERE tenant_id = $1", tenant.name),
        ("UPDATE tenants SET head_position = 0, head_hash = repeat('0', 64) WHERE id = $1", tenant.name),
    )
    report = await _verify(app_client, tenant)
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 1, "missing")
    result = verify_export(await _export(app_client, tenant, tmp_path), public_key)
    assert (result["ok"], result["problem"]["position"], result["problem"]["kind"]) == (False, 1, "missing")


async def test_deleted_checkpoints_are_caught_by_the_one_the_auditor_kept(app_client, pool):
    """Truncate, rewind the head row and delete the service's checkpoints: only a kept one can tell."""
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    kept = (await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))).json()
    await tamper(
        pool,
        ("DELETE FROM events WHERE tenant_id = $1 AND position > 2", tenant.name),
        ("DELETE FROM audit_checkpoints WHERE tenant_id = $1", tenant.name),
        ("UPDATE incidents SET version = 2, last_position = 2 WHERE tenant_id = $1", tenant.name),
        ("UPDATE tenants SET head_position = 2, head_hash = (SELECT hash FROM events WHERE tenant_id = $1"
         " AND position = 2) WHERE id = $1", tenant.name),
        # The projections' checkpoints rewound too: the runner (every second) may have caught up.
        ("UPDATE projection_checkpoints SET position = least(position, 2) WHERE tenant_id = $1", tenant.name),
    )  # fmt: skip
    assert (await _verify(app_client, tenant))["ok"] is True  # consistent, as far as the service knows
    report = await _verify(app_client, tenant, position=kept["position"], hash=kept["head_hash"])
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 3, "missing")


async def test_a_checkpoint_signed_by_another_key_is_refused(app_client, pool):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    head = await pool.fetchrow("SELECT head_position, head_hash FROM tenants WHERE id = $1", tenant.name)
    forger = checkpoints.Signer(Ed25519PrivateKey.generate())
    at = await pool.fetchval("SELECT now()")
    await pool.execute(
        INSERT_CHECKPOINT,
        tenant.name,
        head["head_position"],
        head["head_hash"],
        at,
        forger.key_id,
        forger.public_key,
        forger.sign(checkpoints.message(tenant.name, head["head_position"], head["head_hash"], at)),
    )
    report = await _verify(app_client, tenant)
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 4, "changed")
    # And the service will not build its next checkpoint on it.
    r = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert r.status_code == 200 and r.json()["key_id"] == forger.key_id  # that head is "signed" already …
    await app_client.post(f"/v1/incidents/{(await _incident_of(pool, tenant))}/notes", json={"text": "n"},
                          headers=tenant.auth())  # fmt: skip
    r = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:crisis-ledger:problem:chain-broken"


async def _incident_of(pool, tenant) -> str:
    return str(await pool.fetchval("SELECT id FROM incidents WHERE tenant_id = $1 LIMIT 1", tenant.name))


async def test_checkpoints_of_an_earlier_key_count_after_a_rotation(app_client, pool):
    from ledger.audit.verify import verify_tenant

    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    old = checkpoints.Signer(Ed25519PrivateKey.generate())
    new = checkpoints.Signer(Ed25519PrivateKey.generate())
    await checkpoints.checkpoint(pool, old, tenant.name)
    assert (await verify_tenant(pool, tenant.name, new.public_key)).ok is False
    rotated = checkpoints.Signer(new.private, frozenset({old.public_key}))
    report = await verify_tenant(pool, tenant.name, rotated.public_key, trusted_keys=rotated.trusted)
    assert report.ok is True and report.checkpoints_verified == 1


async def test_racing_signers_leave_one_checkpoint_per_position(app_client, pool, settings):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    signer = checkpoints.load_signer(settings)
    results = await asyncio.gather(*[checkpoints.checkpoint(pool, signer, tenant.name) for _ in range(6)])
    assert sum(new for _, new in results) == 1
    assert len({msgspec.json.encode(cp) for cp, _ in results}) == 1
    count = await pool.fetchval("SELECT count(*) FROM audit_checkpoints WHERE tenant_id = $1", tenant.name)
    assert count == 1


async def test_the_periodic_task_signs_moved_heads_once_across_processes(app_client, pool, settings):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    signer = checkpoints.load_signer(settings)
    # Two workers (as in two server processes) racing over the same tenants.
    tasks = [asyncio.create_task(checkpoints.run_forever(pool, signer, 0.02)) for _ in range(2)]
    try:
        signed = None
        for _ in range(500):  # waits for the first round, however slow the machine; asserts no timing
            signed = await pool.fetch("SELECT position FROM audit_checkpoints WHERE tenant_id = $1", tenant.name)
            if signed:
                break
            await asyncio.sleep(0.02)
        iid = await _incident_of(pool, tenant)
        await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "later"}, headers=tenant.auth())
        for _ in range(500):
            signed = await pool.fetch("SELECT position FROM audit_checkpoints WHERE tenant_id = $1", tenant.name)
            if len(signed) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(r["position"] for r in signed) == [4, 5]
    report = await _verify(app_client, tenant)
    assert report["ok"] is True and report["checkpoints_verified"] == 2


def test_the_embedded_default_key_is_generated_once_and_kept(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path / "data"))
    first = checkpoints.load_signer(settings)
    path = tmp_path / "data" / checkpoints.KEY_FILE_NAME
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert checkpoints.load_signer(settings).public_key == first.public_key
    seed = base64.b64encode(bytes(32)).decode()
    configured = checkpoints.load_signer(Settings(data_dir=str(tmp_path / "data"), signing_key=seed))
    assert configured.public_key != first.public_key


def test_a_renumbered_row_names_where_it_was_chained():
    at = clock.now().replace(microsecond=0).isoformat()  # (any instant: the chain reads it as text)
    rows = [
        {"tenant_id": "t", "position": p, "id": uuid.uuid4(), "incident_id": None, "version": None, "type": "noted",
         "occurred_at": at, "recorded_at": at, "actor": "a",
         "recorded_by": "k", "data": {"text": str(p)}, "prev_hash": "", "hash": ""}
        for p in range(1, 6)
    ]  # fmt: skip
    prev = "0" * 64
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(row, "t")
    assert check(rows, "t")[1] is None
    shifted = rows[:2] + [{**r, "position": r["position"] - 1} for r in rows[3:]]
    assert moved_from(shifted[2], "t") == 4
    checked, broken, _ = check(shifted, "t")
    assert checked == 2 and broken is not None and (broken.position, broken.kind) == (3, "missing")


async def test_verify_on_a_one_connection_pool_compares_the_tables_after_the_walk(app_client, pool, database_url):
    from ledger.audit.verify import verify_tenant
    from ledger.store.database import create_pool

    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    await pool.execute("UPDATE incidents SET severity = 'sev4' WHERE tenant_id = $1", tenant.name)
    small = await create_pool(database_url, Settings(), min_size=1, max_size=1)
    try:
        report = await verify_tenant(small, tenant.name, await _public_key(app_client, tenant))
    finally:
        await small.close()
    assert report.ok is False and report.problem is not None
    assert (report.problem.position, report.problem.kind) == (4, "changed")


async def test_a_deleted_tenant_row_is_missing_and_the_command_still_finds_the_tenant(app_client, pool, database_url):
    tenant = await new_tenant(pool, "tam")
    await _history(app_client, tenant, incidents=1)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE tenants DISABLE TRIGGER ALL")
        await conn.execute("DELETE FROM tenants WHERE id = $1", tenant.name)
        await conn.execute("ALTER TABLE tenants ENABLE TRIGGER ALL")

    def run() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LEDGER_DATABASE_URL": database_url}
        cmd = [sys.executable, "-m", "ledger.cli", "audit", "verify"]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    done = await asyncio.to_thread(run)
    assert done.returncode == 1, done.stderr
    reports = {r["tenant"]: r for r in map(json.loads, done.stdout.splitlines())}
    problem = reports[tenant.name]["problem"]
    assert (problem["position"], problem["kind"]) == (4, "missing") and "row" in problem["detail"]


async def test_truncation_before_any_checkpoint_is_caught_by_the_tables_that_saw_the_events(app_client, pool):
    """The newest events deleted, the head row rewound and the stream table fixed up — and no
    checkpoint yet: the projections and the idempotency keys remember the later positions."""
    tenant = await new_tenant(pool, "tam")
    ids = await _history(app_client, tenant, incidents=1)
    r = await app_client.post(
        f"/v1/incidents/{ids[0]}/notes", json={"text": "n"}, headers={**tenant.auth(), "Idempotency-Key": "k-1"}
    )
    assert r.status_code == 201 and r.json()["position"] == 5
    await app_client.get("/v1/incidents", params={"breached": "true"}, headers=tenant.auth("read"))  # views catch up
    assert (
        await pool.fetchval("SELECT max(position) FROM projection_checkpoints WHERE tenant_id = $1", tenant.name) == 5
    )
    await tamper(
        pool,
        ("DELETE FROM events WHERE tenant_id = $1 AND position > 3", tenant.name),
        ("UPDATE incidents SET version = 3, last_position = 3 WHERE tenant_id = $1", tenant.name),
        ("UPDATE tenants SET head_position = 3, head_hash = (SELECT hash FROM events WHERE tenant_id = $1"
         " AND position = 3) WHERE id = $1", tenant.name),
    )  # fmt: skip
    assert await pool.fetchval("SELECT count(*) FROM audit_checkpoints WHERE tenant_id = $1", tenant.name) == 0
    report = await _verify(app_client, tenant)
    assert (report["ok"], report["problem"]["position"], report["problem"]["kind"]) == (False, 4, "missing"), report
    assert "position 5" in report["problem"]["detail"]

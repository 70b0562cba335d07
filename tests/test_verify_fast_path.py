"""Verify's fast path (`Walker.take_spelled` over `SPELLED_COLUMNS`) accepts exactly the rows the
full check accepts, stops at the first row it must not accept, and verify reads ahead batch by
batch without changing what it finds."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from ledger.audit import verify as audit
from ledger.audit.chain import Walker, check
from ledger.store.audit import ROW_COLUMNS, SPELLED_COLUMNS
from tests import clock
from tests.conftest import Tenant, detect_body, new_tenant
from tests.test_audit import _history, _verify, tamper
from tests.test_audit_tamper import SCENARIOS

_ORDER = "FROM events WHERE tenant_id = $1 ORDER BY position"
# Each column of a spelled row, and a value that differs from any stored one.
_COLUMNS = [c.strip().split(" AS ")[-1].split("::")[0] for c in ROW_COLUMNS.split(",")]


async def _rows(pool, tenant: str) -> tuple[list[tuple], list]:
    spelled = [tuple(r) for r in await pool.fetch(f"SELECT {SPELLED_COLUMNS} {_ORDER}", tenant)]
    return spelled, await pool.fetch(f"SELECT {ROW_COLUMNS} {_ORDER}", tenant)


@pytest.fixture(scope="module")
async def history(app_client, pool) -> Tenant:
    """Three incidents, and times a formatter could get wrong: a whole second, one microsecond,
    a client zone far from UTC."""
    tenant = await new_tenant(pool, "fast")
    await _history(app_client, tenant)
    # Three days before the service's clock (a detection may be backdated by at most 7 days).
    day = (clock.now() - timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    early = detect_body(title="detected early", occurred_at=day.isoformat())
    r = await app_client.post("/v1/incidents", json=early, headers=tenant.auth())
    assert r.status_code == 201, r.text
    incident = r.json()["id"]
    far_west = timezone(timedelta(hours=-9, minutes=-30))
    times = [
        day + timedelta(hours=1),
        day + timedelta(hours=1, microseconds=1),
        datetime.combine(day.date(), time(23, 59, 59, 999999), far_west),  # (the next day, 09:29:59.999999Z)
    ]
    for at in times:
        body = {"text": "timed note", "occurred_at": at.isoformat()}
        r = await app_client.post(f"/v1/incidents/{incident}/notes", json=body, headers=tenant.auth())
        assert r.status_code == 201, r.text
    odd = detect_body(title='ünïcode \u2028 "quoted"')
    r = await app_client.post("/v1/incidents", json=odd, headers=tenant.auth())
    assert r.status_code == 201, r.text
    return tenant


async def test_the_fast_path_accepts_an_untouched_history_as_the_full_check_does(pool, history):
    spelled, ordinary = await _rows(pool, history.name)
    walker = Walker(history.name)
    assert walker.take_spelled(spelled) == len(spelled) == 17
    assert (walker.checked, walker.broken, (walker.position, walker.head)) == check(ordinary, history.name)
    assert walker.versions == {str(r["incident_id"]): r["version"] for r in ordinary}


def _other(value):
    if isinstance(value, bool):  # (actor_verified)
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "00000000-0000-0000-0000-000000000000"
    if value.startswith("{"):
        return value.replace("}", ', "extra": 1}', 1)
    return value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize("column", range(len(_COLUMNS)), ids=_COLUMNS)
async def test_the_fast_path_stops_at_any_changed_column(pool, history, column):
    spelled, _ = await _rows(pool, history.name)
    for at in (0, 6, len(spelled) - 1):
        changed = list(spelled)
        row = list(changed[at])
        row[column] = _other(row[column])
        changed[at] = tuple(row)
        walker = Walker(history.name)
        assert walker.take_spelled(changed) == at, (at, _COLUMNS[column])
        assert walker.position == at and walker.checked == at and walker.broken is None


async def test_the_fast_path_stops_at_a_differing_anchor_and_a_version_out_of_turn(pool, history):
    spelled, _ = await _rows(pool, history.name)
    walker = Walker(history.name, anchors={5: "f" * 64})
    assert walker.take_spelled(spelled) == 4
    walker = Walker(history.name, anchors={5: spelled[4][12]})
    assert walker.take_spelled(spelled) == len(spelled) and walker.anchors == {}
    walker = Walker(history.name)
    incident = spelled[-1][3]
    walker.versions[incident] = 5  # as if the walk had seen that incident further on already
    assert walker.take_spelled(spelled) == min(i for i, row in enumerate(spelled) if row[3] == incident) > 0
    broken = Walker(history.name)
    broken.broken = audit.Broken(1, None, "changed", "earlier")
    assert broken.take_spelled(spelled) == 0


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_tampering_is_located_the_same_when_verify_reads_ahead_in_small_batches(
    app_client, pool, monkeypatch, name
):
    statements, position, online, _ = SCENARIOS[name]
    tenant = await new_tenant(pool, "fastb")
    await _history(app_client, tenant)
    await tamper(pool, *statements(tenant.name))
    monkeypatch.setattr(audit, "BATCH", 4)  # 12 events: the break lands in a later, read-ahead batch
    report = await _verify(app_client, tenant)
    assert report["ok"] is False
    assert (report["problem"]["position"], report["problem"]["kind"]) == (position, online), report["problem"]


@pytest.mark.parametrize("batch", [3, 4, 5, 16])
async def test_small_batches_check_every_event_once(app_client, pool, monkeypatch, history, batch):
    monkeypatch.setattr(audit, "BATCH", batch)
    report = await _verify(app_client, history)
    assert report["ok"] is True and report["checked"] == 17 and report["head"]["position"] == 17


async def test_a_walk_that_fails_with_a_batch_read_ahead_leaves_the_connection_usable(
    pool, settings, database_url, monkeypatch, history
):
    """The batch read ahead is waited for (or cancelled) before the error leaves the walk: the
    error is the walk's own, the transaction ends cleanly and the connection stays in the pool.
    (One connection: nothing else gives the read ahead time to finish first.)"""
    from ledger.audit import checkpoints
    from ledger.store.database import create_pool

    real, calls = Walker.take_spelled, 0

    def failing(self, rows):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("hashing failed")
        return real(self, rows)

    monkeypatch.setattr(audit, "BATCH", 4)
    monkeypatch.setattr(Walker, "take_spelled", failing)
    one = await create_pool(database_url, settings, min_size=1, max_size=1)
    try:
        backend = await one.fetchval("SELECT pg_backend_pid()")
        with pytest.raises(RuntimeError, match="hashing failed"):
            await audit.verify_tenant(one, history.name, checkpoints.load_signer(settings).public_key)
        assert calls == 2
        assert await one.fetchval("SELECT pg_backend_pid()") == backend  # the same connection, still whole
    finally:
        await one.close()


@pytest.mark.parametrize("batch", [3, 1000])
async def test_signing_walks_the_new_events_in_batches_and_refuses_a_broken_segment(
    app_client, pool, monkeypatch, batch
):
    from ledger.audit import checkpoints

    monkeypatch.setattr(checkpoints, "WALK_BATCH", batch)
    tenant = await new_tenant(pool, "sign")
    await _history(app_client, tenant, incidents=1)  # 4 events
    first = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert first.status_code == 201 and first.json()["position"] == 4
    incident = await pool.fetchval("SELECT id FROM incidents WHERE tenant_id = $1", tenant.name)
    for n in range(8):  # positions 5..12
        r = await app_client.post(f"/v1/incidents/{incident}/notes", json={"text": f"n{n}"}, headers=tenant.auth())
        assert r.status_code == 201
    actor = await pool.fetchval("SELECT actor FROM events WHERE tenant_id = $1 AND position = 9", tenant.name)
    await tamper(pool, ("UPDATE events SET actor = 'someone else' WHERE tenant_id = $1 AND position = 9", tenant.name))
    r = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert r.status_code == 409 and r.json()["type"] == "urn:crisis-ledger:problem:chain-broken"
    assert r.json()["detail"].startswith("position 9: changed")
    await tamper(pool, ("UPDATE events SET actor = $2 WHERE tenant_id = $1 AND position = 9", tenant.name, actor))
    signed = await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    assert signed.status_code == 201 and signed.json()["position"] == 12

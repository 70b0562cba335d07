"""The export and its offline check: windows bound to a signed checkpoint, and a doctored file caught."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit.export_check import public_key_from, verify_export
from tests.conftest import new_tenant
from tests.test_audit import _export, _history, _public_key, tamper


async def _window(app_client, pool, tmp_path, **extra) -> tuple:
    """12 events, signed at 12; the window holds positions 5..8 (by recorded_at)."""
    tenant = await new_tenant(pool, "exp")
    await _history(app_client, tenant)
    await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    feed = (await app_client.get("/v1/events?after=0&limit=20", headers=tenant.auth("read"))).json()["items"]
    since, until = feed[4]["recorded_at"], feed[8]["recorded_at"]
    path = await _export(app_client, tenant, tmp_path, since=since, until=until)
    return tenant, path, await _public_key(app_client, tenant)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _write(path: Path, records: list[dict]) -> Path:
    out = path.with_name("doctored.ndjson")
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    return out


async def test_a_window_is_bound_to_the_signed_checkpoint_after_it(app_client, pool, tmp_path):
    _, path, key = await _window(app_client, pool, tmp_path)
    records = _records(path)
    kinds = [r["kind"] for r in records]
    assert kinds.count("event") == 4 and kinds.count("link") == 4 and kinds[-1] == "end"
    assert [r["position"] for r in records if r["kind"] == "event"] == [5, 6, 7, 8]
    header = records[0]
    assert header["anchor"] == {"position": 4, "hash": next(r for r in records if r["kind"] == "event")["prev_hash"]}
    assert "text" not in json.dumps([r for r in records if r["kind"] == "link"])  # links carry no content
    result = verify_export(path, key)
    assert result["ok"] is True and result["signed"] is True and result["covered_up_to"] == 12
    assert result["from_genesis"] is False and result["checked"] == 4


async def test_a_window_export_catches_a_change_after_its_end(app_client, pool, tmp_path):
    """The content behind a link is recomputed at export: a changed later event breaks the tail."""
    tenant = await new_tenant(pool, "exp")
    await _history(app_client, tenant)
    await app_client.post("/v1/audit/checkpoints", headers=tenant.auth("admin"))
    feed = (await app_client.get("/v1/events?after=0&limit=20", headers=tenant.auth("read"))).json()["items"]
    await tamper(pool, ("UPDATE events SET actor = 'nobody' WHERE tenant_id = $1 AND position = 10", tenant.name))
    path = await _export(app_client, tenant, tmp_path, until=feed[6]["recorded_at"])
    result = verify_export(path, await _public_key(app_client, tenant))
    assert (result["ok"], result["problem"]["position"], result["problem"]["kind"]) == (False, 10, "changed")


async def test_an_export_signs_the_head_first_so_any_window_is_bound(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "exp")
    await _history(app_client, tenant, incidents=1)
    assert (await app_client.get("/v1/audit/checkpoints", headers=tenant.auth("read"))).json()["items"] == []
    feed = (await app_client.get("/v1/events?after=0&limit=20", headers=tenant.auth("read"))).json()["items"]
    path = await _export(app_client, tenant, tmp_path, until=feed[2]["recorded_at"])
    result = verify_export(path, await _public_key(app_client, tenant))
    assert result["ok"] is True and result["signed"] is True and result["last_position"] == 2
    assert result["through"] == 4 and result["covered_up_to"] == 4


async def test_an_empty_window_verifies(app_client, pool, tmp_path):
    tenant = await new_tenant(pool, "exp")
    await _history(app_client, tenant, incidents=1)
    path = await _export(app_client, tenant, tmp_path, since="2099-01-01T00:00:00Z")
    result = verify_export(path, await _public_key(app_client, tenant))
    assert result["ok"] is True and result["checked"] == 0 and result["first_position"] == 5
    r = await app_client.get(
        "/v1/audit/export",
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        headers=tenant.auth("read"),
    )
    assert r.status_code == 200
    backwards = tmp_path / "backwards.ndjson"
    backwards.write_bytes(r.content)
    assert verify_export(backwards, await _public_key(app_client, tenant))["ok"] is True


async def test_a_doctored_file_is_caught_and_located(app_client, pool, tmp_path):
    _, path, key = await _window(app_client, pool, tmp_path)
    records = _records(path)
    at = {r["position"]: i for i, r in enumerate(records) if r["kind"] in ("event", "link")}

    def doctored(change) -> dict:
        copy = json.loads(json.dumps(records))
        change(copy)
        return verify_export(_write(path, copy), key)

    def edit_actor(rs):
        rs[at[6]]["actor"] = "someone else"

    def edit_data(rs):
        rs[at[7]]["data"]["text"] = "something else"

    def drop(rs):
        del rs[at[6]]

    def swap(rs):
        rs[at[6]], rs[at[7]] = rs[at[7]], rs[at[6]]

    def forge_link(rs):
        rs[at[10]]["digest"] = "0" * 64

    def forge_checkpoint(rs):
        cp = next(r for r in rs if r["kind"] == "checkpoint")
        cp["head_hash"] = "1" * 64

    def cut(rs):
        del rs[-1]

    for change, position, kind in [
        (edit_actor, 6, "changed"),
        (edit_data, 7, "changed"),
        (drop, 6, "missing"),
        (swap, 6, "missing"),
        (forge_link, 10, "changed"),
        (forge_checkpoint, 12, "changed"),
        (cut, 13, "missing"),
    ]:
        result = doctored(change)
        assert result["ok"] is False, change.__name__
        assert (result["problem"]["position"], result["problem"]["kind"]) == (position, kind), (change, result)


async def test_the_public_key_may_be_given_as_pem_or_a_file(app_client, pool, tmp_path):
    _, path, key = await _window(app_client, pool, tmp_path)
    pem = (
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key))
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file = tmp_path / "service.pub"
    key_file.write_text(pem)
    assert public_key_from(str(key_file)) == key == public_key_from(pem)
    assert verify_export(path, public_key_from(str(key_file)))["ok"] is True
    other = base64.b64encode(bytes(32)).decode()
    result = verify_export(path, other)
    assert result["ok"] is False and result["problem"]["kind"] == "changed"  # no checkpoint verifies

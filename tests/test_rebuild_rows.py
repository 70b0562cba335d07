"""A rebuild writes the rows it wrote when tests/golden/rebuild_rows.json was recorded.

The history is fixed (seeded, dated in March 2026; a rebuild renders at each incident's latest
`occurred_at`, never at "now"): three tenants, two of them with a business-hours plan, incidents
with signals, escalations suggested, severities changed, resolutions and reopens, backdated facts,
and snapshots every five versions. Every row of every projection is compared as PostgreSQL spells
it (views, report rows, spans, load, snapshots' bytes by their digest, checkpoints), so a change made to make a
rebuild cheaper must leave them byte for byte as they were. A change meant to alter them records
the file again: `LEDGER_RECORD_GOLDEN=1 pytest tests/test_rebuild_rows.py`.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from ledger.domain.plan import DEFAULT_POLICY
from ledger.store.policies import PolicyStore
from projections.rebuild import rebuild_together
from projections.runner import registry
from schemas.events import (
    GENESIS_HASH,
    Detected,
    EscalationSuggested,
    EventData,
    SignalReceived,
    body_digest,
    data_dict,
    link_hash,
    type_of,
)
from tests.shapes_corpus import business_hours_policy, history

GOLDEN = Path(__file__).parent / "golden" / "rebuild_rows.json"
TENANTS = ("rows-a", "rows-b", "rows-c")
INCIDENTS = 16  # per tenant
EVERY = 5  # a snapshot every five versions: most incidents reach one
ESCALATE_AT = {"sev1": None, "sev2": 1_000_000, "sev3": 250_000, "sev4": 50_000}
# Each projection's rows as PostgreSQL spells them, in a stable order (checkpoints without their time,
# snapshots with their folds' digest).
TABLES = {
    "incident_views": "to_jsonb(t)",
    "sla_report_rows": "to_jsonb(t)",
    "coverage_report_rows": "to_jsonb(t)",
    "assignee_spans": "to_jsonb(t)",
    "assignee_load": "to_jsonb(t)",
    "incident_snapshots": "to_jsonb(t) - 'folds' || jsonb_build_object('folds_sha256', sha256(folds))",
    "projection_checkpoints": "to_jsonb(t) - 'updated_at'",
}
_json = msgspec.json.Encoder()


def _incident(rng: random.Random, seed: int, policy_version: int) -> tuple[uuid.UUID, list[tuple[Any, EventData]]]:
    """A shapes-corpus history (tests/shapes_corpus.py) with reach figures: the detection's, signals
    between the other events, and an escalation suggested when a signal passes the threshold."""
    events, _ = history(seed)
    first = events[0].data
    assert isinstance(first, Detected)
    detected = msgspec.structs.replace(first, reach=rng.choice((None, 1_000, 60_000)), policy_version=policy_version)
    out: list[tuple[Any, EventData]] = [(events[0].occurred_at, detected)]
    severity = str(first.severity)
    for event in events[1:]:
        if rng.random() < 0.2:
            reach = rng.choice((None, 5_000, 300_000, 2_000_000))
            out.append((event.occurred_at, SignalReceived(reach=reach, source_url="https://x.com/a/status/1")))
            threshold = ESCALATE_AT.get(severity)
            if reach is not None and threshold is not None and reach >= threshold:
                suggested = EscalationSuggested(severity=severity, reach=reach, threshold=threshold)  # type: ignore[arg-type]
                out.append((event.occurred_at, suggested))
        severity = str(getattr(event.data, "severity", severity))
        out.append((event.occurred_at, event.data))
    return events[0].incident_id, out


def _rows(tenant: str, seed: int) -> tuple[list[tuple[Any, ...]], int, str]:
    """The tenant's event rows as `ledger_append` writes them (chained), its head and head hash."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    prev, position = GENESIS_HASH, 0
    for n in range(INCIDENTS):
        incident_id, incident = _incident(rng, seed * 100 + n, policy_version=n % 2 if tenant != "rows-c" else 0)
        for version, (occurred, data) in enumerate(incident, start=1):
            position += 1
            event_id = uuid.UUID(int=rng.getrandbits(128))
            recorded = occurred + timedelta(seconds=version)
            payload = data_dict(data)
            digest = body_digest(
                event_id=event_id, tenant_id=tenant, incident_id=incident_id, version=version,
                event_type=type_of(data), occurred_at=occurred, actor="ayse", recorded_by="key", data=payload,
                actor_verified=False,
            )  # fmt: skip
            hash_ = link_hash(prev, position, recorded, digest)
            rows.append((tenant, position, event_id, incident_id, version, type_of(data), occurred, recorded,
                         "ayse", "key", _json.encode(payload).decode(), prev, hash_, False))  # fmt: skip
            prev = hash_
    return rows, position, prev


async def _load(pool: asyncpg.Pool) -> None:
    columns = ["tenant_id", "position", "id", "incident_id", "version", "type", "occurred_at", "recorded_at",
               "actor", "recorded_by", "data", "prev_hash", "hash", "actor_verified"]  # fmt: skip
    plan = business_hours_policy()
    document = _json.encode(msgspec.structs.replace(plan, version=1)).decode()
    async with pool.acquire() as conn:
        # COPY needs jsonb in binary form (a version byte, then the text).
        await conn.set_type_codec(
            "jsonb", schema="pg_catalog", format="binary", encoder=lambda text: b"\x01" + text.encode(), decoder=bytes
        )
        try:
            for seed, tenant in enumerate(TENANTS, start=1):
                rows, head, head_hash = _rows(tenant, seed)
                await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
                if tenant != "rows-c":
                    await conn.execute(
                        "INSERT INTO policies (tenant_id, version, document, position, changed_by, changed_at)"
                        " VALUES ($1, 1, $2, 0, 'ayse', $3)",
                        tenant,
                        document,
                        rows[0][6],
                    )
                await conn.copy_records_to_table("events", records=rows, columns=columns)
                await conn.execute(
                    "UPDATE tenants SET head_position = $2, head_hash = $3 WHERE id = $1", tenant, head, head_hash
                )
        finally:
            await conn.reset_type_codec("jsonb", schema="pg_catalog")


async def _written(pool: asyncpg.Pool) -> dict[str, list[str]]:
    out = {}
    for table, spelled in TABLES.items():
        rows = await pool.fetch(
            f"SELECT ({spelled})::text AS row FROM {table} t WHERE tenant_id = ANY($1::text[]) ORDER BY 1",
            list(TENANTS),
        )
        out[table] = [r["row"] for r in rows]
    return out


async def test_a_rebuild_writes_the_rows_recorded(pool):
    await _load(pool)
    projections = registry(PolicyStore(pool), snapshot_every=EVERY)
    for tenant in TENANTS:
        await rebuild_together(pool, list(projections.values()), tenant, streams_per_batch=5)
    written = await _written(pool)
    if os.environ.get("LEDGER_RECORD_GOLDEN"):
        GOLDEN.write_text(json.dumps(written, indent=0) + "\n")
    recorded = json.loads(GOLDEN.read_text())
    for table in TABLES:
        assert written[table] == recorded[table], table

    # (So that the comparison is not vacuous: what the history was made to reach.)
    views = [json.loads(row) for row in written["incident_views"]]
    assert len(views) == len(TENANTS) * INCIDENTS
    assert any(v["escalation_due"] for v in views) and not all(v["escalation_due"] for v in views)
    assert any(v["peak_reach"] for v in views) and {v["policy_version"] for v in views} == {0, 1}
    assert any(v["status"] == "resolved" for v in views) and any(v["status"] == "open" for v in views)
    assert len(written["incident_snapshots"]) > len(views)
    assert DEFAULT_POLICY.calendars == {} and business_hours_policy().calendars

"""Bulk-loading a valid ledger: events with correct hash chains, written with COPY.

Loading 1,000,000 events through the API would take the better part of an hour; the reports,
rebuild and verify figures need the data, not the way it arrived. Every row here is what
`ledger_append` would have written: gapless positions and versions, the canonical digest, the
chain, the incidents stream rows and the tenant head.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from ledger.store.ids import TimeOrderedIds
from schemas.events import (
    GENESIS_HASH,
    Acknowledged,
    Assigned,
    Detected,
    EventData,
    Noted,
    Replied,
    Resolved,
    body_digest,
    data_dict,
    link_hash,
    type_of,
)

_json = msgspec.json.Encoder()
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
CHANNELS = ("x", "instagram", "tiktok", "facebook")
SCENARIOS = ("product-defect", "outage", "executive-statement", "data-breach", "customer-service")
PEOPLE = [f"agent{i}@brand.example" for i in range(40)]
# The reports measured over a bulk-loaded tenant: (name in the figures, path).
REPORTS = (
    ("sla", "/v1/reports/sla"),
    ("sla_by_severity", "/v1/reports/sla?group_by=severity"),
    ("sla_by_week", "/v1/reports/sla?group_by=week"),
    ("coverage", "/v1/reports/coverage"),
)
# (the projections' checkpoints at the head, written with it: the runner finds nothing to apply)
CAUGHT_UP = """
INSERT INTO projection_checkpoints (tenant_id, projection, position) SELECT $1, unnest($2::text[]), $3
"""


def _story(rng: random.Random, n: int) -> list[tuple[timedelta, EventData]]:
    """One incident's events (10 per incident; 1 in 10 stays open), at growing offsets."""
    sev = rng.choice(SEVERITIES)
    steps: list[tuple[timedelta, EventData]] = [
        (timedelta(0), Detected(title=f"incident {n}", severity=sev, channel=rng.choice(CHANNELS),
                                scenario=rng.choice(SCENARIOS), reach=rng.randint(100, 10**6))),
        (timedelta(seconds=rng.randint(30, 1800)), Acknowledged()),
        (timedelta(seconds=rng.randint(60, 2400)), Assigned(role="incident_lead", assignee=rng.choice(PEOPLE))),
        (timedelta(seconds=rng.randint(60, 3600)), Assigned(role="social_responder", assignee=rng.choice(PEOPLE))),
        (timedelta(seconds=rng.randint(300, 5400)), Replied(channel="x", text="We are on it.", visibility="public")),
        (timedelta(seconds=rng.randint(5400, 9000)), Replied(channel="x", text="Update: fixed.", visibility="public")),
        (timedelta(seconds=rng.randint(100, 9000)), Noted(text="internal note")),
        (timedelta(seconds=rng.randint(100, 9000)), Noted(text="another note")),
        (timedelta(seconds=rng.randint(100, 9000)), Noted(text="a third note")),
    ]  # fmt: skip
    if n % 10 == 0:
        steps.append((timedelta(seconds=9500), Noted(text="still open")))
    else:
        steps.append((timedelta(seconds=rng.randint(9100, 80000)), Resolved(summary="calmed down")))
    steps.sort(key=lambda s: s[0])
    return steps


def rows(
    tenant: str, incidents: int, seed: int = 7, now: datetime | None = None
) -> Iterator[tuple[list[tuple], tuple]]:
    """Per incident: its event rows and its incidents-table row, chained in position order; the
    detections spread over the 120 days before `now` (default: the real time). Ids are the
    service's time-ordered ids, made when each row was recorded (a later event of an earlier
    incident may have been: the generator then holds its latest millisecond, as it does when a
    clock steps back), their random bits drawn from `seed`."""
    rng = random.Random(seed)
    start = (now or datetime.now(UTC)) - timedelta(days=120)
    recorded_ms = 0
    new_id = TimeOrderedIds(clock_ms=lambda: recorded_ms, random_bits=rng.getrandbits)
    prev, position = GENESIS_HASH, 0
    for n in range(incidents):
        detected_at = start + timedelta(seconds=n * (120 * 86400 // max(incidents, 1)))
        recorded_ms = _ms(detected_at + timedelta(seconds=1))
        incident_id = new_id()
        out = []
        first_position = position + 1
        status, severity, channel, scenario = "open", "sev3", "x", None
        for version, (offset, data) in enumerate(_story(rng, n), start=1):
            position += 1
            occurred = detected_at + offset
            recorded = occurred + timedelta(seconds=1)
            recorded_ms = _ms(recorded)
            event_id = new_id()
            kind = type_of(data)
            payload = data_dict(data)
            actor = rng.choice(PEOPLE)
            digest = body_digest(
                event_id=event_id, tenant_id=tenant, incident_id=incident_id, version=version,
                event_type=kind, occurred_at=occurred, actor=actor, recorded_by="bulk-loader", data=payload,
                actor_verified=False,
            )  # fmt: skip
            hash_ = link_hash(prev, position, recorded, digest)
            out.append((tenant, position, event_id, incident_id, version, kind, occurred, recorded, actor,
                        "bulk-loader", _json.encode(payload).decode(), prev, hash_, False))  # fmt: skip
            prev = hash_
            if isinstance(data, Detected):
                severity, channel, scenario = data.severity, data.channel, data.scenario
            if isinstance(data, Resolved):
                status = "resolved"
        incident = (tenant, incident_id, len(out), status, str(severity), scenario, str(channel), None,
                    detected_at, first_position, position)  # fmt: skip
        yield out, incident
    yield [], (prev, position)


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


async def load(
    pool: asyncpg.Pool,
    tenant: str,
    incidents: int,
    batch: int = 5000,
    now: datetime | None = None,
    caught_up: Sequence[str] = (),
) -> int:
    """Write `incidents` incidents (10 events each) for a new `tenant`, detected over the 120 days
    before `now` (default: the real time); returns the events written. `caught_up`: see `load_at`."""
    from ledger.store.database import url_of

    url = url_of(pool)
    assert url is not None
    return await load_at(url, tenant, incidents, batch=batch, now=now, caught_up=caught_up)


async def load_at(
    url: str,
    tenant: str,
    incidents: int,
    *,
    seed: int = 7,
    batch: int = 5000,
    now: datetime | None = None,
    caught_up: Sequence[str] = (),
) -> int:
    """`load` on the database at `url` (a process of its own can load another tenant meanwhile);
    `seed` draws the tenant's ids and stories. `caught_up`: projections whose checkpoints are set
    at the head as it is published, as a service that had kept up would have them, so that a
    running service's runner and breach watch leave the tenant to the rebuild that follows."""
    # A connection of its own: COPY needs jsonb in binary form (a version byte, then the text).
    conn = await asyncpg.connect(url)
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", format="binary", encoder=lambda text: b"\x01" + text.encode(), decoder=bytes
    )
    try:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        events: list[tuple] = []
        stream: list[tuple] = []
        total = 0
        head: tuple = (GENESIS_HASH, 0)
        columns = ["tenant_id", "position", "id", "incident_id", "version", "type", "occurred_at", "recorded_at",
                   "actor", "recorded_by", "data", "prev_hash", "hash", "actor_verified"]  # fmt: skip
        stream_columns = ["tenant_id", "id", "version", "status", "severity", "scenario", "channel", "dedup_key",
                          "detected_at", "created_position", "last_position"]  # fmt: skip

        async def flush() -> None:
            await conn.copy_records_to_table("events", records=events, columns=columns)
            await conn.copy_records_to_table("incidents", records=stream, columns=stream_columns)
            events.clear()
            stream.clear()

        for out, incident in rows(tenant, incidents, seed=seed, now=now):
            if not out:
                head = incident
                break
            events.extend(out)
            stream.append(incident)
            total += len(out)
            if len(events) >= batch:
                await flush()
        await flush()
        async with conn.transaction():
            await conn.execute(
                "UPDATE tenants SET head_position = $2, head_hash = $3 WHERE id = $1", tenant, head[1], head[0]
            )
            await conn.execute(CAUGHT_UP, tenant, list(caught_up), head[1])
        await conn.execute("ANALYZE events")
        await conn.execute("ANALYZE incidents")
    finally:
        await conn.close()
    return total

"""Re-checking a tenant's hash chain from the stored rows alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from schemas.events import GENESIS_HASH, body_digest, link_hash

_decode = msgspec.json.Decoder()


@dataclass(frozen=True)
class Broken:
    position: int
    event_id: str
    kind: str  # changed | missing | reordered | foreign
    detail: str


def row_hash(row: Any, tenant: str) -> str:
    """The hash a stored row should carry, recomputed from its columns (data as stored)."""
    raw = row["data"]
    digest = body_digest(
        event_id=row["id"],
        tenant_id=tenant,
        incident_id=row["incident_id"],
        version=row["version"],
        event_type=row["type"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        recorded_by=row["recorded_by"],
        data=_decode.decode(raw) if isinstance(raw, (str, bytes)) else raw,
    )
    return link_hash(row["prev_hash"], row["position"], row["recorded_at"], digest)


def check(rows: Iterable[Any], tenant: str) -> tuple[int, Broken | None, tuple[int, str]]:
    """Walk rows in position order; return (checked, first problem or None, (head position, head hash))."""
    expected_position, prev = 1, GENESIS_HASH
    versions: dict[Any, int] = {}
    checked = 0
    for row in rows:
        event_id = str(row["id"])
        position = row["position"]
        if row["tenant_id"] != tenant:
            return (
                checked,
                Broken(position, event_id, "foreign", f"row belongs to tenant {row['tenant_id']}"),
                (
                    expected_position - 1,
                    prev,
                ),
            )
        if position != expected_position:
            kind = "missing" if position > expected_position else "reordered"
            detail = f"expected position {expected_position}, found {position}"
            return checked, Broken(position, event_id, kind, detail), (expected_position - 1, prev)
        if row["prev_hash"] != prev:
            return (
                checked,
                Broken(position, event_id, "reordered", "prev_hash does not link to the previous event"),
                (
                    expected_position - 1,
                    prev,
                ),
            )
        if row_hash(row, tenant) != row["hash"]:
            return (
                checked,
                Broken(position, event_id, "changed", "the event's content does not match its hash"),
                (
                    expected_position - 1,
                    prev,
                ),
            )
        if row["incident_id"] is not None:
            want = versions.get(row["incident_id"], 0) + 1
            if row["version"] != want:
                kind = "missing" if row["version"] > want else "reordered"
                return (
                    checked,
                    Broken(position, event_id, kind, f"incident version {row['version']}, expected {want}"),
                    (
                        expected_position - 1,
                        prev,
                    ),
                )
            versions[row["incident_id"]] = want
        prev = row["hash"]
        expected_position += 1
        checked += 1
    return checked, None, (expected_position - 1, prev)


async def rows_of(conn: Any, tenant: str, batch: int = 5000) -> AsyncIterator[Any]:
    """Every event row of a tenant in position order, streamed in batches (bounded memory)."""
    after = 0
    while True:
        rows = await conn.fetch(
            "SELECT tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor,"
            " recorded_by, data::text AS data, prev_hash, hash FROM events"
            " WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3",
            tenant,
            after,
            batch,
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1]["position"]

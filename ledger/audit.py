"""Audit: verify a tenant's history in the database, export it, and verify an export offline.

Export format (NDJSON, one JSON object per line, `kind` first):
  {"kind": "header", "format": "crisis-ledger-export/1", "tenant", "exported_at", "since", "until",
   "first_position", "last_position", "anchor": {"position", "hash"}, "public_key", "key_id"}
  {"kind": "checkpoint", …}   every signed checkpoint inside the range, and the newest one
  {"kind": "event", …}        the events, in position order, as the API returns them + tenant_id
  {"kind": "end", "events": n, "last_position": p}
The anchor is the hash the first exported event links to (64 zeros when the export starts at
position 1). The `end` line lets the offline check tell a complete file from a cut one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from ledger import checkpoints
from ledger.chain import ROW_COLUMNS, Broken, Found, Walker
from schemas.events import GENESIS_HASH, rfc3339

FORMAT = "crisis-ledger-export/1"
BATCH = 2000

_HASH_HERE = "SELECT position FROM events WHERE tenant_id = $1 AND hash = $2 LIMIT 1"
_ELSEWHERE = "SELECT 1 FROM events WHERE tenant_id <> $1 AND (hash = $2 OR id = $3::uuid) LIMIT 1"
_ROWS = f"SELECT {ROW_COLUMNS} FROM events WHERE tenant_id = $1 AND position > $2 AND position <= $3 ORDER BY position LIMIT $4"  # noqa: E501
_CHECKPOINTS = f"SELECT {checkpoints.COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY position"


@dataclass
class Report:
    ok: bool
    checked: int
    head: dict[str, Any]
    problem: dict[str, Any] | None
    checkpoints_verified: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _problem(broken: Broken | None) -> dict[str, Any] | None:
    if broken is None:
        return None
    return {"position": broken.position, "event_id": broken.event_id, "kind": broken.kind, "detail": broken.detail}


async def verify_tenant(
    pool: asyncpg.Pool, tenant: str, public_key: str, *, expect: tuple[int, str] | None = None
) -> Report:
    """Recompute the tenant's chain from the stored rows; also check the signed checkpoints and,
    given `expect` = an auditor's kept (position, hash), that today's history extends it."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        # One snapshot: the head row and the events are read as of the same instant.

        async def lookup(hash_: str, event_id: str) -> Found:
            if await conn.fetchval(_ELSEWHERE, tenant, hash_, _uuid_or_nil(event_id)):
                return Found(other_tenant=True)
            return Found(position=await conn.fetchval(_HASH_HERE, tenant, hash_))

        head = await conn.fetchrow(checkpoints.HEAD, tenant)
        head_position, head_hash = (head["head_position"], head["head_hash"]) if head else (0, GENESIS_HASH)
        walker = Walker(tenant, lookup)
        verified = 0
        for row in await conn.fetch(_CHECKPOINTS, tenant):
            cp = checkpoints.as_dict(row, tenant)
            if cp["public_key"] != public_key or not checkpoints.signature_ok(public_key, cp):
                problem = Broken(
                    cp["position"], None, "changed", "a checkpoint's signature does not verify with this service's key"
                )
                return Report(False, 0, {"position": head_position, "hash": head_hash}, _problem(problem))
            walker.anchors[cp["position"]] = cp["head_hash"]
            verified += 1
        if expect is not None:
            walker.anchors.setdefault(expect[0], expect[1])
            if walker.anchors[expect[0]] != expect[1]:
                problem = Broken(expect[0], None, "changed", "the given checkpoint differs from the signed one")
                return Report(False, 0, {"position": head_position, "hash": head_hash}, _problem(problem), verified)
        after = 0
        while walker.broken is None:
            rows = await conn.fetch(_ROWS, tenant, after, 2**62, BATCH)
            for row in rows:
                if not await walker.feed(row):
                    break
            if len(rows) < BATCH:
                break
            after = rows[-1]["position"]
        problem = walker.finish(head_position, head_hash)
        if problem is None and expect is not None and expect[0] == 0 and expect[1] != GENESIS_HASH:
            problem = Broken(0, None, "changed", "position 0 is the genesis hash")
    return Report(
        problem is None,
        walker.checked,
        {"position": walker.position, "hash": walker.head},
        _problem(problem),
        verified,
    )


def _uuid_or_nil(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.UUID(int=0))


# ---------------------------------------------------------------------------- export

_encode = msgspec.json.Encoder()


def _line(obj: dict[str, Any]) -> bytes:
    return _encode.encode(obj) + b"\n"


def _event(row: Any) -> dict[str, Any]:
    return {
        "kind": "event",
        "tenant_id": row["tenant_id"],
        "id": str(row["id"]),
        "incident_id": None if row["incident_id"] is None else str(row["incident_id"]),
        "type": row["type"],
        "version": row["version"],
        "position": row["position"],
        "occurred_at": rfc3339(row["occurred_at"]),
        "recorded_at": rfc3339(row["recorded_at"]),
        "actor": row["actor"],
        "recorded_by": row["recorded_by"],
        "data": msgspec.Raw(row["data"].encode() if isinstance(row["data"], str) else row["data"]),
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


def _checkpoint(cp: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "checkpoint", **cp, "signed_at": rfc3339(cp["signed_at"])}


async def export(
    pool: asyncpg.Pool, signer: checkpoints.Signer, tenant: str, since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    """The NDJSON lines of the tenant's events recorded in [since, until), batch by batch."""
    try:
        await checkpoints.checkpoint(pool, signer, tenant)  # so that a full export is anchored
    except checkpoints.ChainBroken:
        pass  # exported anyway: the offline check will name the break
    async with pool.acquire() as conn:
        head = await conn.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant) or 0
        first = 1
        if since is not None:
            found = await conn.fetchval(
                "SELECT min(position) FROM events WHERE tenant_id = $1 AND recorded_at >= $2", tenant, since
            )
            first = found if found is not None else head + 1
        last = head
        if until is not None:
            found = await conn.fetchval(
                "SELECT max(position) FROM events WHERE tenant_id = $1 AND recorded_at < $2", tenant, until
            )
            last = min(head, found if found is not None else 0)
        anchor = GENESIS_HASH
        if first > 1:
            anchor = (
                await conn.fetchval(
                    "SELECT prev_hash FROM events WHERE tenant_id = $1 AND position = $2", tenant, first
                )
                or ""
            )
        cps = [checkpoints.as_dict(r, tenant) for r in await conn.fetch(_CHECKPOINTS, tenant)]
    inside = [cp for cp in cps if first <= cp["position"] <= last]
    newest = cps[-1:] if cps and cps[-1] not in inside else []
    yield _line(
        {
            "kind": "header",
            "format": FORMAT,
            "tenant": tenant,
            "exported_at": rfc3339(datetime.now().astimezone()),
            "since": rfc3339(since) if since else None,
            "until": rfc3339(until) if until else None,
            "first_position": first,
            "last_position": last,
            "anchor": {"position": first - 1, "hash": anchor},
            "public_key": signer.public_key,
            "key_id": signer.key_id,
        }
    )
    for cp in inside + newest:
        yield _line(_checkpoint(cp))
    count, after = 0, first - 1
    while after < last:
        async with pool.acquire() as conn:
            rows = await conn.fetch(_ROWS, tenant, after, last, BATCH)
        if not rows:
            break
        yield b"".join(_line(_event(r)) for r in rows)
        count += len(rows)
        after = rows[-1]["position"]
    yield _line({"kind": "end", "events": count, "last_position": after})


# ---------------------------------------------------------------------------- offline check


class ExportError(Exception):
    """The file is not an export this version understands."""


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                raise ExportError(f"line {number} is not JSON: {exc}") from None
            if not isinstance(obj, dict) or "kind" not in obj:
                raise ExportError(f"line {number} is not an export record")
            yield obj


def verify_export(path: Path, public_key: str) -> dict[str, Any]:
    """Check an export with nothing but the file and the service's public key."""
    lines = _lines(path)
    header = next(lines, None)
    if header is None or header.get("kind") != "header" or header.get("format") != FORMAT:
        raise ExportError(f"not a {FORMAT} file (no header)")
    tenant = header["tenant"]
    first, last = int(header["first_position"]), int(header["last_position"])
    anchor = header["anchor"]

    def scan(hash_: str, event_id: str) -> Found:
        """At a break only: where else in the file is this hash (or this event id)?"""
        for obj in _lines(path):
            if obj.get("kind") == "event" and (obj.get("hash") == hash_ or obj.get("id") == event_id):
                if obj.get("tenant_id") != tenant:
                    return Found(other_tenant=True)
                if obj.get("hash") == hash_:
                    return Found(position=int(obj["position"]))
        return Found()

    async def lookup(hash_: str, event_id: str) -> Found:
        return scan(hash_, event_id)

    walker = Walker.after(tenant, int(anchor["position"]), anchor["hash"], lookup)
    result: dict[str, Any] = {
        "tenant": tenant,
        "first_position": first,
        "last_position": last,
        "from_genesis": first == 1 and anchor["hash"] == GENESIS_HASH,
        "checkpoints_verified": 0,
        "covered_up_to": None,
    }
    problem: Broken | None = None
    if first == 1 and anchor["hash"] != GENESIS_HASH:
        problem = Broken(1, None, "changed", "an export from position 1 must start from the genesis hash")
    end: dict[str, Any] | None = None
    for obj in lines if problem is None else ():
        kind = obj["kind"]
        if kind == "checkpoint":
            if obj.get("public_key") != public_key or not checkpoints.signature_ok(public_key, obj):
                problem = Broken(
                    int(obj.get("position", 0)), None, "changed", "a checkpoint's signature does not verify"
                )
                break
            result["checkpoints_verified"] += 1
            if obj.get("tenant") != tenant:
                problem = Broken(int(obj["position"]), None, "foreign", "a checkpoint of another tenant")
                break
            # A full export (no `until`) must reach every signed position: one beyond its end
            # means the newest events are gone. A window's later checkpoints are just not covered.
            if first <= int(obj["position"]) <= last or (header.get("until") is None and int(obj["position"]) > last):
                walker.anchors[int(obj["position"])] = obj["head_hash"]
                covered = result["covered_up_to"] or 0
                result["covered_up_to"] = max(covered, int(obj["position"]))
        elif kind == "event":
            if int(obj.get("position", 0)) > last:
                problem = Broken(int(obj["position"]), str(obj.get("id")), "changed", "an event past the export's end")
                break
            if not _drive(walker.feed(obj)):
                problem = walker.broken
                break
        elif kind == "end":
            end = obj
            break
    if problem is None:
        if end is None:
            problem = Broken(walker.position + 1, None, "missing", "the file ends without its end record (cut short)")
        elif walker.position != last or int(end.get("events", -1)) != walker.checked:
            problem = Broken(
                walker.position + 1,
                None,
                "missing",
                f"the export should run to position {last} ({end.get('events')} events); "
                f"it has {walker.checked} up to {walker.position}",
            )
        else:
            problem = walker.finish(None, None)
    result.update(
        ok=problem is None,
        checked=walker.checked,
        head={"position": walker.position, "hash": walker.head},
        problem=_problem(problem),
    )
    return result


def _drive(coro: Any) -> Any:
    """Run a coroutine that never suspends (the file look-up is synchronous) to its result."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("unreachable: the offline walk suspended")

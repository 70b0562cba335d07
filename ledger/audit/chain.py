"""Re-checking a tenant's hash chain from the stored rows alone, and naming the first break.

The walk is the same for the database (`ledger.audit.verify.verify_tenant`) and for an offline export
(`ledger.audit.export_check.verify_export`): rows come in position order, one at a time (bounded memory:
the rows of a batch, one version counter per incident, the signed positions still ahead), and the
first row that does not fit is reported with a kind:

- `missing`   — a position, an incident version or the newest events are absent (deleted,
                truncated), or the event a row links to is gone;
- `reordered` — a row links to an event that exists, but not to the one before it (rows swapped
                or moved), or an incident's versions run backwards;
- `changed`   — a row's content no longer matches its hash (or a signed checkpoint);
- `foreign`   — a row belongs to, or was copied from, another tenant.

Telling `reordered` and `foreign` from plain breaks needs one look-up at the break (does the
hash a row links to exist elsewhere?); the caller supplies it as a `Lookup`. A row whose content
still hashes correctly at another position was moved there: renumbered after a deletion
(`missing`) or moved back (`reordered`).

A link (`Walker.feed_link`) is a chain link without the event's content (position, recorded_at, body digest and the
two hashes): an export carries them from its last event to the next signed checkpoint, so that an
offline check can show that a window of events is part of the history the service signed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from ledger.store.audit import ROWS_IN_RANGE, SPELLED_IN_RANGE
from schemas.events import GENESIS_HASH, body_digest, link_hash, rfc3339, spelled_digest, spelled_link_hash

_decode = msgspec.json.Decoder()


@dataclass(frozen=True)
class Broken:
    position: int
    event_id: str | None
    kind: str  # changed | missing | reordered | foreign
    detail: str


# How far a moved row's original position is searched for at a break (sha256 per try: cheap).
MOVED_SEARCH = 50_000


@dataclass(frozen=True)
class Found:
    """Where a hash (or an event id) is found: this tenant's position, or another tenant."""

    position: int | None = None
    other_tenant: bool = False


# hash -> where it is (None: nowhere known); event id -> another tenant has it.
Lookup = Callable[[str, str], Awaitable[Found]]


async def _nowhere(_hash: str, _event_id: str) -> Found:
    return Found()


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def row_hash(row: Any, tenant: str) -> str:
    """The hash a stored row should carry, recomputed from its columns (data as stored)."""
    return link_hash(row["prev_hash"], row["position"], _instant(row["recorded_at"]), row_digest(row, tenant))


def row_digest(row: Any, tenant: str) -> str:
    """The body digest of a stored row (everything but the chain link), as `ledger_append` got it.
    A row without `actor_verified` (NULL: recorded before personal keys; or an export record
    written before them) hashes without it."""
    raw = row["data"]
    return body_digest(
        event_id=row["id"],
        tenant_id=tenant,
        incident_id=row["incident_id"],
        version=row["version"],
        event_type=row["type"],
        occurred_at=_instant(row["occurred_at"]),
        actor=row["actor"],
        recorded_by=row["recorded_by"],
        data=_decode.decode(raw) if isinstance(raw, (str, bytes)) else raw,
        actor_verified=row.get("actor_verified"),
    )


def moved_from(row: Any, tenant: str, limit: int = MOVED_SEARCH) -> int | None:
    """The position at which this row's content and link hash correctly, if not its own (nearest first)."""
    prefix = f"{row['prev_hash']}:".encode()
    suffix = f":{rfc3339(_instant(row['recorded_at']))}:{row_digest(row, tenant)}".encode()
    position, want = int(row["position"]), row["hash"]
    for delta in range(1, limit + 1):
        for candidate in (position + delta, position - delta):
            if candidate > 0 and hashlib.sha256(prefix + str(candidate).encode() + suffix).hexdigest() == want:
                return candidate
    return None


@dataclass(frozen=True)
class _Suspect:
    """A row that breaks the chain in a way only look-ups can name: it does not link to the
    previous event (`unlinked`), or its content no longer hashes to its hash."""

    row: Any
    unlinked: bool
    content_ok: bool

    def hashes(self) -> tuple[str, ...]:
        """The hashes whose whereabouts `Walker._name` needs."""
        if not self.unlinked:
            return (self.row["hash"],)
        return (self.row["prev_hash"],) if self.content_ok else (self.row["prev_hash"], self.row["hash"])


@dataclass
class Walker:
    """Feed rows in position order; `broken` holds the first problem. Bounded memory except
    for the per-incident version counters (one int per incident)."""

    tenant: str
    lookup: Lookup = _nowhere
    position: int = 0  # the last position that checked out
    head: str = GENESIS_HASH  # its hash
    checked: int = 0
    broken: Broken | None = None
    versions: dict[str, int] = field(default_factory=dict)
    # Signed positions the chain must pass through with these hashes (position -> hash).
    anchors: dict[int, str] = field(default_factory=dict)
    # A walk that starts mid-chain cannot know the versions incidents had before its start.
    windowed: bool = False

    @classmethod
    def after(cls, tenant: str, position: int, head: str, lookup: Lookup = _nowhere) -> Walker:
        """A walk that starts after a known (position, hash), e.g. an export's first prev_hash."""
        return cls(tenant, lookup, position=position, head=head, windowed=position > 0)

    async def feed(self, row: Any) -> bool:
        """Check one row (asking `lookup` where hashes are, at a break); False once the chain is
        broken (later rows are not looked at)."""
        if self.broken is not None:
            return False
        verdict = self._check(row)
        if isinstance(verdict, _Suspect):
            event_id = str(row["id"])
            verdict = self._name(verdict, {h: await self.lookup(h, event_id) for h in verdict.hashes()})
        return self._settle(row, verdict)

    def feed_offline(self, row: Any, where: Callable[[str, str], Found] = lambda _hash, _event_id: Found()) -> bool:
        """`feed` without a database: `where` answers look-ups at once (a scan of a file), by default
        with nowhere."""
        if self.broken is not None:
            return False
        verdict = self._check(row)
        if isinstance(verdict, _Suspect):
            event_id = str(row["id"])
            verdict = self._name(verdict, {h: where(h, event_id) for h in verdict.hashes()})
        return self._settle(row, verdict)

    def _settle(self, row: Any, problem: Broken | None) -> bool:
        self.broken = problem
        if problem is not None:
            return False
        self.position, self.head = row["position"], row["hash"]
        self.anchors.pop(self.position, None)  # passed: only anchors still ahead are kept
        self.checked += 1
        return True

    def take_spelled(self, rows: Sequence[Any]) -> int:
        """The fast path over rows of `SPELLED_COLUMNS`: accept rows in turn while each one is
        exactly what the walk expects (next position, linked, hash recomputed, anchor and version
        in order); return how many were accepted. The first row not accepted has to be `feed`
        with the ordinary columns, which tells what is wrong (or accepts it after all: only the
        spelling differed). Accepts nothing `feed` would refuse; it exists because verify's speed is a target."""
        if self.broken is not None:
            return 0
        tenant, anchors, versions, windowed = self.tenant, self.anchors, self.versions, self.windowed
        position, head, decode, accepted = self.position, self.head, _decode.decode, 0
        for row in rows:
            owner, at, event_id, incident, version, kind, occurred, stamp, actor, by, data, prev, hash_, verified = row
            if owner != tenant or at != position + 1 or prev != head:
                break
            digest = spelled_digest(
                actor, decode(data), event_id, incident, occurred, by, tenant, kind, version, verified
            )
            if spelled_link_hash(prev, at, stamp, digest) != hash_:
                break
            if at in anchors and anchors[at] != hash_:
                break
            if incident is not None:
                want = versions.get(incident, version - 1 if windowed else 0) + 1
                if version != want:
                    break
                versions[incident] = want
            anchors.pop(at, None)
            position, head, accepted = at, hash_, accepted + 1
        self.position, self.head, self.checked = position, head, self.checked + accepted
        return accepted

    def feed_link(self, link: Any) -> bool:
        """Check a content-free link (an export's tail towards a checkpoint); False once broken."""
        if self.broken is not None:
            return False
        position, expected = int(link["position"]), self.position + 1
        if position != expected:
            kind = "reordered" if position < expected else "missing"
            self.broken = Broken(expected, None, kind, f"the link to position {position} comes after {self.position}")
        elif link["prev_hash"] != self.head:
            self.broken = Broken(position, None, "changed", "the link does not follow the previous hash")
        elif link_hash(link["prev_hash"], position, _instant(link["recorded_at"]), link["digest"]) != link["hash"]:
            self.broken = Broken(position, None, "changed", "the link's hash does not match its parts")
        elif position in self.anchors and self.anchors[position] != link["hash"]:
            self.broken = Broken(position, None, "changed", "the chain differs from the one a signed checkpoint covers")
        if self.broken is not None:
            return False
        self.position, self.head = position, link["hash"]
        self.anchors.pop(position, None)
        return True

    def _check(self, row: Any) -> Broken | _Suspect | None:
        """The row's problem, or a `_Suspect` when naming it needs to know where its hashes are."""
        position, event_id = row["position"], str(row["id"])
        expected = self.position + 1

        def broken(kind: str, detail: str) -> Broken:
            return Broken(position, event_id, kind, detail)

        if row["tenant_id"] != self.tenant:
            return broken("foreign", f"the row belongs to tenant {row['tenant_id']!r}")
        if position < expected:
            return broken("reordered", f"position {position} comes after position {self.position}")
        if position > expected:
            missing = f"position {expected}" if position == expected + 1 else f"positions {expected}-{position - 1}"
            return Broken(expected, None, "missing", f"{missing} missing (the next event is at {position})")
        recomputed = row_hash(row, self.tenant)
        if row["prev_hash"] != self.head or recomputed != row["hash"]:
            return _Suspect(row, unlinked=row["prev_hash"] != self.head, content_ok=recomputed == row["hash"])
        if position in self.anchors and self.anchors[position] != row["hash"]:
            return broken("changed", "the event differs from the one a signed checkpoint covers")
        incident = row["incident_id"]
        if incident is not None:
            key = str(incident)
            want = self.versions.get(key, row["version"] - 1 if self.windowed else 0) + 1
            if row["version"] != want:
                if row["version"] > want:
                    detail = f"incident {key}: version {row['version']}, but version {want} is missing"
                    return broken("missing", detail)
                return broken("reordered", f"incident {key}: version {row['version']} after {want - 1}")
            self.versions[key] = want
        return None

    def _name(self, suspect: _Suspect, found: dict[str, Found]) -> Broken:
        """What the suspect row's break is, knowing where its hashes are found (`_Suspect.hashes`)."""
        row = suspect.row
        position = row["position"]

        def broken(kind: str, detail: str) -> Broken:
            return Broken(position, str(row["id"]), kind, detail)

        if suspect.unlinked:  # prev_hash does not name the previous event: say what it names instead
            linked_to = found[row["prev_hash"]]
            if linked_to.other_tenant:
                return broken("foreign", "the event links into another tenant's chain (copied from there)")
            if linked_to.position is not None and linked_to.position != self.position:
                return broken(
                    "reordered",
                    f"the event links to the event at position {linked_to.position}, not to position {self.position}",
                )
            if suspect.content_ok:
                return broken(
                    "missing", f"the event it was chained to (hash {row['prev_hash'][:16]}…) is missing before it"
                )
            origin = moved_from(row, self.tenant)
            if origin is not None and origin > position:
                gone = origin - position
                return broken(
                    "missing",
                    f"this event was chained at position {origin}: {gone} event(s) before it were deleted"
                    " and the later ones renumbered",
                )
            if origin is not None:
                return broken("reordered", f"this event was chained at position {origin}, not at {position}")
        if found[row["hash"]].other_tenant:
            return broken("foreign", "the event was copied from another tenant")
        return broken("changed", "the event's content does not match its hash")

    def finish(self, head_position: int | None, head_hash: str | None) -> Broken | None:
        """After the last row: the chain must reach the recorded head and every signed anchor."""
        if self.broken is not None:
            return self.broken
        beyond = [p for p in self.anchors if p > self.position]
        if beyond:
            p = min(beyond)
            self.broken = Broken(
                self.position + 1,
                None,
                "missing",
                f"the chain ends at position {self.position}, but a signed checkpoint covers position {p}",
            )
        elif head_position is not None and head_position > self.position:
            self.broken = Broken(
                self.position + 1,
                None,
                "missing",
                f"the chain ends at position {self.position}, but the tenant's head is at {head_position}",
            )
        elif head_position is not None and head_position < self.position:
            self.broken = Broken(
                head_position + 1,
                None,
                "changed",
                f"the tenant's head says position {head_position}, but events go on to {self.position}",
            )
        elif head_hash is not None and head_position == self.position and head_hash != self.head:
            self.broken = Broken(self.position, None, "changed", "the tenant's head hash does not match the chain")
        return self.broken


def check(rows: Iterable[Any], tenant: str) -> tuple[int, Broken | None, tuple[int, str]]:
    """Walk rows in position order without look-ups; (checked, first problem or None, (head position, hash))."""
    walker = Walker(tenant)
    for row in rows:
        if not walker.feed_offline(row):
            break
    return walker.checked, walker.broken, (walker.position, walker.head)


async def feed_rest(conn: Any, walker: Walker, rows: Sequence[Any], accepted: int, after: int) -> None:
    """After `take_spelled` accepted the first `accepted` of `rows` (read after position `after`):
    the rest of them read again with the ordinary columns and fed through the full check."""
    if accepted < len(rows):
        start, end = (rows[accepted - 1]["position"] if accepted else after), rows[-1]["position"]
        for row in await conn.fetch(ROWS_IN_RANGE, walker.tenant, start, end, len(rows) - accepted):
            if not await walker.feed(row):
                break


async def walk_range(conn: Any, walker: Walker, after: int, upto: int, batch: int = 1000) -> None:
    """Feed `walker` the tenant's events in (after, upto]: each batch through the fast path, and
    from the first row it does not accept, the rest of that batch through the full check. Lets
    other tasks run between batches (a few milliseconds each): this runs beside requests."""
    while walker.broken is None:
        rows = await conn.fetch(SPELLED_IN_RANGE, walker.tenant, after, upto, batch)
        await feed_rest(conn, walker, rows, walker.take_spelled(rows), after)
        if len(rows) < batch:
            return
        after = rows[-1]["position"]
        await asyncio.sleep(0)


async def rows_of(conn: Any, tenant: str, batch: int = 5000, after: int = 0) -> AsyncIterator[Any]:
    """Every event row of a tenant in position order, streamed in batches (bounded memory)."""
    while True:
        rows = await conn.fetch(ROWS_IN_RANGE, tenant, after, 2**62, batch)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1]["position"]

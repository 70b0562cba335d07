"""The check of an export (ledger/audit/export.py, whose docstring gives the format) with nothing
but the file and the service's public key: no database, no server.

The records are fed to the same chain walk as the database's verification; signed checkpoints
become anchors the chain ahead must pass through, and the end record must agree with what the
file held, so a file cut short, reordered or edited is named at the first position it differs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit import checkpoints
from ledger.audit.chain import Broken, Found, Walker
from ledger.audit.export import FORMAT
from ledger.audit.verify import problem_dict
from schemas.events import GENESIS_HASH


class ExportError(Exception):
    """The file is not an export this version understands."""


def public_key_from(value: str) -> str:
    """The public key as base64 of its 32 raw bytes: given as such, as a PEM, or as a file with either."""
    text = value
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        text = path.read_text()
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise ExportError(f"the public key is not a PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ExportError("the public key is not an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ExportError("the public key is neither base64 nor PEM") from None
    if len(raw) != 32:
        raise ExportError("an Ed25519 public key is 32 bytes")
    return text


PROGRESS_EVERY = 1000


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
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
            yield number, obj


@dataclass(frozen=True)
class _Header:
    tenant: str
    first: int
    last: int
    through: int
    anchor_position: int
    anchor_hash: str


@dataclass
class _Tally:
    """What the walk over the file's records has seen so far."""

    events: int = 0
    links: int = 0
    checkpoints_verified: int = 0
    covered_up_to: int | None = None  # the last position a signed checkpoint was shown to cover
    end: dict[str, Any] | None = None
    expected: int = 0  # events, as the header counts them
    progress: Callable[[int, int], None] | None = None  # told (events, expected) every PROGRESS_EVERY

    def counted(self) -> None:
        self.events += 1
        if self.progress is not None and self.events % PROGRESS_EVERY == 0:
            self.progress(self.events, self.expected)


def verify_export(path: Path, public_key: str, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Check an export with nothing but the file and the service's public key; `progress(done,
    expected)` is told of the events checked every PROGRESS_EVERY, and at the start and the end."""
    lines = _lines(path)
    header = _header(next(lines, (0, None))[1])
    walker = Walker.after(header.tenant, header.anchor_position, header.anchor_hash)
    tally = _Tally(expected=max(0, header.last - header.first + 1), progress=progress)
    if progress is not None:
        progress(0, tally.expected)
    problem = _anchor_problem(header)
    if problem is None:
        problem = _walk(lines, walker, header, public_key, _scan(path, header.tenant), tally)
    if progress is not None:
        progress(tally.events, tally.expected)
    if problem is None:
        problem = _end_problem(tally, walker, header.through)
    covered = tally.covered_up_to
    return {
        "tenant": header.tenant,
        "first_position": header.first,
        "last_position": header.last,
        "through": header.through,
        "from_genesis": header.anchor_position == 0 and header.anchor_hash == GENESIS_HASH,
        "checkpoints_verified": tally.checkpoints_verified,
        "covered_up_to": covered,
        "ok": problem is None,
        "checked": walker.checked,
        "head": {"position": walker.position, "hash": walker.head},
        # Every exported event lies at or before a signed checkpoint the chain was shown to reach.
        "signed": problem is None and covered is not None and covered >= header.last,
        "problem": problem_dict(problem),
    }


def _header(header: dict[str, Any] | None) -> _Header:
    if header is None or header.get("kind") != "header" or header.get("format") != FORMAT:
        raise ExportError(f"not a {FORMAT} file (no header)")
    try:
        tenant = str(header["tenant"])
        first, last = int(header["first_position"]), int(header["last_position"])
        through = int(header.get("through", last))
        anchor_position, anchor_hash = int(header["anchor"]["position"]), str(header["anchor"]["hash"])
        return _Header(tenant, first, last, through, anchor_position, anchor_hash)
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"the header is incomplete: {exc!r}") from None


def _anchor_problem(header: _Header) -> Broken | None:
    if header.anchor_position != header.first - 1:
        detail = "the header's anchor is not the position before the first event"
        return Broken(header.first, None, "changed", detail)
    if header.anchor_position == 0 and header.anchor_hash != GENESIS_HASH:
        return Broken(1, None, "changed", "an export from position 1 must start from the genesis hash")
    return None


def _scan(path: Path, tenant: str) -> Callable[[str, str], Found]:
    """The walk's look-up: at a break only, where else in the file is this hash (or this event id)?"""

    def where(hash_: str, event_id: str) -> Found:
        for _, obj in _lines(path):
            if obj.get("kind") == "event" and (obj.get("hash") == hash_ or obj.get("id") == event_id):
                if obj.get("tenant_id") != tenant:
                    return Found(other_tenant=True)
                if obj.get("hash") == hash_:
                    return Found(position=int(obj["position"]))
        return Found()

    return where


def _walk(
    lines: Iterator[tuple[int, dict[str, Any]]],
    walker: Walker,
    header: _Header,
    public_key: str,
    where: Callable[[str, str], Found],
    tally: _Tally,
) -> Broken | None:
    """Feed the records after the header to the walk, up to the end record; the first problem."""
    for number, obj in lines:
        kind = obj["kind"]
        try:
            if kind == "checkpoint":
                problem = _take_checkpoint(obj, number, walker, header.tenant, public_key, tally)
            elif kind in ("event", "link"):
                problem = _take_chained(obj, kind, walker, header.last, where, tally)
            elif kind == "end":
                tally.end = obj
                return None
            else:
                problem = None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            at = obj.get("position") if isinstance(obj.get("position"), int) else walker.position + 1
            return Broken(at, None, "changed", f"line {number}: a malformed {kind} record ({exc!r})")
        if problem is not None:
            return problem
    return None


def _take_checkpoint(
    obj: dict[str, Any], number: int, walker: Walker, tenant: str, public_key: str, tally: _Tally
) -> Broken | None:
    """A signed checkpoint: verified, then either compared with the chain (already passed) or
    made an anchor the chain ahead must pass through."""
    position = int(obj["position"])
    if obj.get("public_key") != public_key or not checkpoints.signature_ok(public_key, obj):
        detail = f"the checkpoint at position {position} (line {number}) does not verify with the key"
        return Broken(position, None, "changed", detail)
    if obj.get("tenant") != tenant:
        return Broken(position, None, "foreign", f"a checkpoint of tenant {obj.get('tenant')!r}")
    tally.checkpoints_verified += 1
    if position > walker.position:
        walker.anchors[position] = str(obj["head_hash"])
    elif position == walker.position and obj["head_hash"] != walker.head:
        # Listed after the chain passed it: compare with what the chain had there.
        return Broken(position, None, "changed", "the chain differs from a signed checkpoint")
    return None


def _take_chained(
    obj: dict[str, Any], kind: str, walker: Walker, last: int, where: Callable[[str, str], Found], tally: _Tally
) -> Broken | None:
    """An event (inside the exported range) or a content-free link (after it), fed to the walk."""
    position = int(obj["position"])
    if kind == "event" and position > last:
        return Broken(position, str(obj.get("id")), "changed", "an event past the export's end")
    if kind == "link" and position <= last:
        return Broken(position, None, "changed", "a content-free link inside the exported range")
    signed = position in walker.anchors
    fed = walker.feed_offline(obj, where) if kind == "event" else walker.feed_link(obj)
    if not fed:
        return walker.broken
    if kind == "event":
        tally.counted()
    else:
        tally.links += 1
    if signed:
        tally.covered_up_to = position
    return None


def _end_problem(tally: _Tally, walker: Walker, through: int) -> Broken | None:
    """After the walk: the end record must be there and agree with what the file held."""
    end = tally.end
    if end is None:
        return Broken(walker.position + 1, None, "missing", "the file ends without its end record (cut short)")
    if (
        walker.position != through
        or end.get("events") != tally.events
        or end.get("links", 0) != tally.links
        or end.get("last_position") != through
    ):
        return Broken(
            walker.position + 1,
            None,
            "missing",
            f"the export should run to position {through} with {end.get('events')} events;"
            f" it has {tally.events} events and {tally.links} links up to {walker.position}",
        )
    return walker.finish(None, None)  # a signed checkpoint beyond the end: events are gone

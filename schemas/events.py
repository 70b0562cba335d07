"""Stored events: the ledger's durable contract.

Every event data type carries an explicit, stable tag (its `type` on the wire and in the
`events.type` column): renaming a class must never change a stored row. Stored events evolve only
by adding fields with defaults.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol

import msgspec


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


class Channel(StrEnum):
    X = "x"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    TIKTOK = "tiktok"
    LINKEDIN = "linkedin"
    YOUTUBE = "youtube"
    REDDIT = "reddit"
    OTHER = "other"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class NoteKind(StrEnum):
    NOTE = "note"
    DECISION = "decision"
    MEETING = "meeting"


class Metric(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    FIRST_RESPONSE = "first_response"
    UPDATE = "update"
    RESOLVE = "resolve"


class NoticeKind(StrEnum):
    AT_RISK = "at_risk"
    BREACHED = "breached"


class _Data(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False, tag_field="type"):
    """Base of every event's data; the tag is the stored `type`."""


class Detected(_Data, tag="detected"):
    title: str
    severity: Severity
    channel: Channel
    scenario: str | None = None
    source_url: str | None = None
    summary: str | None = None
    reach: int | None = None
    dedup_key: str | None = None
    # The policy version in force when the detection was recorded: the incident is measured
    # against it for life, so it is fixed in the event rather than looked up again later.
    policy_version: int = 0


class SignalReceived(_Data, tag="signal_received"):
    source_url: str | None = None
    reach: int | None = None
    summary: str | None = None


class Acknowledged(_Data, tag="acknowledged"):
    note: str | None = None


class Assigned(_Data, tag="assigned"):
    role: str
    assignee: str


class Unassigned(_Data, tag="unassigned"):
    role: str
    assignee: str
    reason: str | None = None


class ReplyReview(msgspec.Struct, frozen=True, kw_only=True):
    """The review a reply passed when it was recorded: its verdict, the kinds of problem found
    (the reply was approved despite them when `verdict` is flagged), the advice given, the
    language it was read in, and the version of the review rules."""

    verdict: str
    kinds: list[str]
    advice: list[str] = []
    language: str
    rules: str


class Replied(_Data, tag="replied"):
    channel: Channel
    text: str
    visibility: Visibility
    in_reply_to: str | None = None
    url: str | None = None
    approved_by: str | None = None
    drafted_by: str | None = None
    # sha256 of the UTF-8 text: statement provenance an auditor can check against a screenshot.
    text_sha256: str = ""
    # Added with the reply review: absent (null) on replies recorded before it.
    review: ReplyReview | None = None
    template_id: str | None = None


class SeverityChanged(_Data, tag="severity_changed"):
    severity: Severity
    reason: str | None = None
    previous: Severity | None = None


class Noted(_Data, tag="noted"):
    text: str
    kind: NoteKind = NoteKind.NOTE


class Resolved(_Data, tag="resolved"):
    summary: str


class Reopened(_Data, tag="reopened"):
    reason: str


class SlaNotice(_Data, tag="sla_notice"):
    metric: Metric
    kind: NoticeKind
    due_at: datetime


class EscalationSuggested(_Data, tag="escalation_suggested"):
    """The open incident's peak reach reached the escalation threshold its plan sets for its current
    severity (`escalate_at_reach`): recorded once per severity and threshold, by the system."""

    severity: Severity
    reach: int
    threshold: int


class PolicyChanged(_Data, tag="policy_changed"):
    """A new version of the tenant's emergency plan (no incident)."""

    version: int
    policy: dict[str, Any]


EventData = (
    Detected
    | SignalReceived
    | Acknowledged
    | Assigned
    | Unassigned
    | Replied
    | SeverityChanged
    | Noted
    | Resolved
    | Reopened
    | SlaNotice
    | EscalationSuggested
    | PolicyChanged
)

DATA_TYPES: Final[dict[str, type[_Data]]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        Detected,
        SignalReceived,
        Acknowledged,
        Assigned,
        Unassigned,
        Replied,
        SeverityChanged,
        Noted,
        Resolved,
        Reopened,
        SlaNotice,
        EscalationSuggested,
        PolicyChanged,
    )
}
INCIDENT_EVENT_TYPES: Final = tuple(t for t in DATA_TYPES if t != "policy_changed")
# One decoder per event type, built once: the events table stores each type's data as JSON.
DATA_DECODERS: Final = {name: msgspec.json.Decoder(cls) for name, cls in DATA_TYPES.items()}


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """What the decider emits: a fact, when it happened, and who did it."""

    data: EventData
    occurred_at: datetime
    actor: str


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded event: the fact plus where the ledger put it."""

    id: uuid.UUID
    tenant_id: str
    incident_id: uuid.UUID | None
    version: int | None
    position: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    recorded_by: str
    data: EventData
    prev_hash: str
    hash: str
    # True: `actor` is the person of the personal key that wrote it; False: claimed by an
    # integration key (or named by the service). None: recorded before personal keys existed.
    actor_verified: bool | None = None

    @property
    def type(self) -> str:
        return type_of(self.data)


class Happened(Protocol):
    """What the read side's folds take of an event: its stream, its place there, when, and what.
    An Event has it; so has the narrower StreamEvent the projections read (ledger/store/events.py)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def incident_id(self) -> uuid.UUID | None: ...
    @property
    def version(self) -> int | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def data(self) -> EventData: ...


def decode_data(event_type: str, raw: bytes | str) -> EventData:
    """An event's data from its JSON, as stored for `event_type`."""
    return DATA_DECODERS[event_type].decode(raw)  # type: ignore[no-any-return]


def type_of(data: EventData) -> str:
    return data.__struct_config__.tag  # type: ignore[return-value]


GENESIS_HASH: Final = "0" * 64

_canonical = msgspec.json.Encoder(order="sorted")


def rfc3339(value: datetime) -> str:
    """The one timestamp spelling the chain hashes: UTC, microseconds, `Z` (`2026-11-24T09:00:00.000000Z`),
    as `ledger_append` spells it with to_char (verification formats two per event: kept cheap)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (twice as fast as the f-string)
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def data_dict(data: EventData) -> dict[str, Any]:
    """The event's data as the API shows it (without the tag, which is the envelope's `type`)."""
    out: dict[str, Any] = msgspec.to_builtins(data)
    out.pop("type", None)
    return out


def body_digest(
    *,
    event_id: uuid.UUID,
    tenant_id: str,
    incident_id: uuid.UUID | None,
    version: int | None,
    event_type: str,
    occurred_at: datetime,
    actor: str,
    recorded_by: str,
    data: dict[str, Any],
    actor_verified: bool | None = None,
) -> str:
    """sha256 of the canonical encoding of everything the client and the rules decided.

    The chain link (see `link_hash`) adds what only the database knows at append time:
    the tenant position, the previous hash and `recorded_at`.
    """
    return spelled_digest(
        actor,
        data,
        str(event_id),
        None if incident_id is None else str(incident_id),
        rfc3339(occurred_at),
        recorded_by,
        tenant_id,
        event_type,
        version,
        actor_verified,
    )


def spelled_digest(
    actor: str,
    data: dict[str, Any],
    event_id: str,
    incident_id: str | None,
    occurred_at: str,
    recorded_by: str,
    tenant_id: str,
    event_type: str,
    version: int | None,
    actor_verified: bool | None = None,
) -> str:
    """`body_digest` from the fields as the digest spells them (ids as text, `rfc3339` time):
    verification gets them so spelled from PostgreSQL and skips the conversions.

    `actor_verified` is a member of the body only when it is known (True or False): an event
    recorded before personal keys (None) keeps the digest it was chained with."""
    body = {
        "actor": actor,
        "data": data,
        "id": event_id,
        "incident_id": incident_id,
        "occurred_at": occurred_at,
        "recorded_by": recorded_by,
        "tenant_id": tenant_id,
        "type": event_type,
        "version": version,
    }
    if actor_verified is not None:
        body["actor_verified"] = actor_verified
    return hashlib.sha256(_canonical.encode(body)).hexdigest()


def link_hash(prev_hash: str, position: int, recorded_at: datetime, digest: str) -> str:
    """The chain hash; `ledger_append` in SQL computes exactly this string's sha256."""
    return spelled_link_hash(prev_hash, position, rfc3339(recorded_at), digest)


def spelled_link_hash(prev_hash: str, position: int, recorded_at: str, digest: str) -> str:
    """`link_hash` with `recorded_at` already spelled by `rfc3339` (or `ledger_append`'s to_char)."""
    return hashlib.sha256(f"{prev_hash}:{position}:{recorded_at}:{digest}".encode()).hexdigest()


def event_hash(event: Event) -> str:
    """Recompute an event's hash from its fields alone (what verification does)."""
    digest = body_digest(
        event_id=event.id,
        tenant_id=event.tenant_id,
        incident_id=event.incident_id,
        version=event.version,
        event_type=event.type,
        occurred_at=event.occurred_at,
        actor=event.actor,
        recorded_by=event.recorded_by,
        data=data_dict(event.data),
        actor_verified=event.actor_verified,
    )
    return link_hash(event.prev_hash, event.position, event.recorded_at, digest)

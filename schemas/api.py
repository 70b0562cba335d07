"""Request bodies and responses of the HTTP API (v1). What crosses the HTTP boundary is defined here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from schemas.blocks import CoverageBlock, ReachBlock, SlaBlock
from schemas.events import Channel, NoteKind, Severity, Visibility
from schemas.policy import Policy, PolicyIn

# Free text may hold tabs and line breaks, never other control characters (nor NUL, which
# PostgreSQL's jsonb cannot store). Names and identifiers hold no control characters at all.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=_LINE)]
Title = Annotated[str, Meta(min_length=1, max_length=500, pattern=_LINE)]
Text = Annotated[str, Meta(min_length=1, max_length=20_000, pattern=_TEXT)]
ShortText = Annotated[str, Meta(min_length=1, max_length=2_000, pattern=_TEXT)]
# (`\s` differs between Python's regexes, which check, and ECMAScript's, which clients read the
# document with: Python's takes in U+0085, ECMAScript's U+FEFF. Both are refused explicitly, with
# the other C1 controls, so that both read the pattern alike.)
Url = Annotated[str, Meta(min_length=1, max_length=2_048, pattern=r"^https?://[^\s\x00-\x1f\x7f-\x9f\ufeff]+$")]
Reference = Annotated[str, Meta(min_length=1, max_length=2_048, pattern=_LINE)]
Role = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Scenario = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
# (Litestar leaves a bound of 0 out of the OpenAPI document, as if unset: "extra" puts it back.)
Reach = Annotated[int, Meta(ge=0, le=10**15, extra_json_schema={"extra": {"minimum": 0}})]
Instant = Annotated[datetime, Meta(tz=True)]
# The largest feed position a request may name: the largest integer every JSON reader holds
# exactly (a bound of 2**62 was written into the OpenAPI document as a float, which is not it).
MAX_POSITION = 2**53 - 1
Language = Literal["en", "tr"]
TemplateId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class _Write(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    actor: Name | None = None
    occurred_at: Instant | None = None


class DetectBody(_Write, kw_only=True, forbid_unknown_fields=True):
    title: Title
    severity: Severity
    channel: Channel
    scenario: Scenario | None = None
    source_url: Url | None = None
    summary: Text | None = None
    reach: Reach | None = None
    dedup_key: Name | None = None


class AcknowledgeBody(_Write, kw_only=True, forbid_unknown_fields=True):
    note: Text | None = None


class AssignBody(_Write, kw_only=True, forbid_unknown_fields=True):
    role: Role
    assignee: Name


class UnassignBody(_Write, kw_only=True, forbid_unknown_fields=True):
    reason: ShortText | None = None


class ReplyBody(_Write, kw_only=True, forbid_unknown_fields=True):
    channel: Channel
    text: Text
    visibility: Visibility
    in_reply_to: Reference | None = None
    url: Url | None = None
    approved_by: Name | None = None
    drafted_by: Name | None = None
    language: Language | None = None
    template_id: TemplateId | None = None


class ReviewBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A draft to review (`POST /v1/replies/review`): nothing is written."""

    text: Text
    channel: Channel = Channel.X
    visibility: Visibility = Visibility.PUBLIC
    language: Language | None = None
    incident_id: uuid.UUID | None = None


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """What the reply review found, where (character offsets into the reply) and why, in words a
    person can act on."""

    kind: str
    level: Literal["problem", "advice"]
    start: int
    end: int
    excerpt: str
    message: str


class ReviewOut(msgspec.Struct, kw_only=True):
    verdict: Literal["ok", "flagged"]
    language: Language
    weighted_length: int
    fits: bool
    findings: list[Finding]
    rules: str
    require_approval: bool


class SeverityBody(_Write, kw_only=True, forbid_unknown_fields=True):
    severity: Severity
    reason: ShortText | None = None


class NoteBody(_Write, kw_only=True, forbid_unknown_fields=True):
    text: Text
    kind: NoteKind = NoteKind.NOTE


class ResolveBody(_Write, kw_only=True, forbid_unknown_fields=True):
    summary: Text


class ReopenBody(_Write, kw_only=True, forbid_unknown_fields=True):
    reason: ShortText


class SignalBody(_Write, kw_only=True, forbid_unknown_fields=True):
    dedup_key: Name
    title: Title
    severity: Severity
    channel: Channel
    scenario: Scenario | None = None
    source_url: Url | None = None
    summary: Text | None = None
    reach: Reach | None = None


class EventOut(msgspec.Struct, kw_only=True):
    """An event as the API returns it."""

    id: uuid.UUID
    incident_id: uuid.UUID | None
    type: str
    version: int | None
    position: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    # true: the actor is the person of the personal key that recorded the event; false: claimed
    # (an integration key, the service itself, or recorded before personal keys existed).
    actor_verified: bool
    recorded_by: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AssignmentOut(msgspec.Struct, kw_only=True):
    role: str
    assignee: str
    since: datetime


class StatementOut(msgspec.Struct, kw_only=True):
    """A public reply's provenance: what was said, where, who drafted, approved and sent it, and when."""

    event_id: uuid.UUID
    version: int
    channel: str
    text: str
    text_sha256: str
    url: str | None
    in_reply_to: str | None
    drafted_by: str | None
    approved_by: str | None
    sent_by: str  # the event's actor
    sent_at: datetime  # the event's occurred_at: when it went out
    recorded_at: datetime
    recorded_by: str


class IncidentOut(msgspec.Struct, kw_only=True):
    """An incident as the API returns it (PRODUCT.md fixes these names)."""

    id: uuid.UUID
    version: int
    status: str
    severity: Severity
    title: str
    scenario: str | None
    channel: Channel
    detected_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    first_resolved_at: datetime | None
    policy_version: int
    dedup_key: str | None
    assignments: list[AssignmentOut]
    reach: ReachBlock
    sla: SlaBlock | None = None
    coverage: CoverageBlock | None = None
    # GET /v1/incidents/{id} only (also with as_of): the latest 20 public statements (all of them:
    # GET /v1/incidents/{id}/statements), in recorded order, and how many there are in all.
    statements: list[StatementOut] | None = None
    statements_count: int | None = None


class EventPage(msgspec.Struct, kw_only=True):
    items: list[EventOut]
    next: int | None


class StatementPage(msgspec.Struct, kw_only=True):
    """A page of an incident's public statements; `next`: the `after` of the next page (the last
    version here), null when this page is the last."""

    items: list[StatementOut]
    next: int | None


class IncidentPage(msgspec.Struct, kw_only=True):
    items: list[IncidentOut]
    next: str | None


class SignalOut(msgspec.Struct, kw_only=True):
    created: bool
    incident: IncidentOut


class Health(msgspec.Struct, kw_only=True):
    status: str
    checks: dict[str, str] = {}


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (documents the error responses in OpenAPI)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class PolicyChangeOut(msgspec.Struct, kw_only=True):
    version: int
    position: int
    changed_by: str
    recorded_by: str
    changed_at: datetime
    policy: Policy


class PolicyHistoryPage(msgspec.Struct, kw_only=True):
    items: list[PolicyChangeOut]
    next: int | None


class MetricFigures(msgspec.Struct, kw_only=True):
    count: int
    met: int
    breached: int
    compliance: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    max: int | None


class SlaMetrics(msgspec.Struct, kw_only=True):
    acknowledge: MetricFigures
    first_response: MetricFigures
    update: MetricFigures
    resolve: MetricFigures


class ReachFigures(msgspec.Struct, kw_only=True):
    """The peak reach of a group's incidents (those with a reach given)."""

    incidents: Annotated[int, Meta(description="Incidents of the group with a reach given")]
    peak_max: Annotated[int | None, Meta(description="The highest peak reach; null: no reach given")]
    peak_p50: Annotated[float | None, Meta(description="The median peak reach (as percentile_cont interpolates)")]


class SlaGroup(msgspec.Struct, kw_only=True):
    key: Annotated[str | None, Meta(description="The group's severity, scenario, channel or ISO week; null: ungrouped")]
    metrics: SlaMetrics
    reach: ReachFigures


class SlaReport(msgspec.Struct, kw_only=True):
    groups: list[SlaGroup]


class RoleCoverage(msgspec.Struct, kw_only=True):
    role: str
    incidents_requiring: int
    missing_when_ack_due: int
    uncovered_seconds_total: int
    uncovered_seconds_mean: float


class AssigneeLoad(msgspec.Struct, kw_only=True):
    assignee: str
    incidents: int
    peak_concurrent_open: int


class CoverageReport(msgspec.Struct, kw_only=True):
    roles: list[RoleCoverage]
    assignees: list[AssigneeLoad]


class PolicyChangeIn(PolicyIn, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The body of PUT /v1/policy: a whole plan, and who changes it (not part of the plan)."""

    actor: Annotated[Name | None, Meta(description="Who changes the plan; null: the key's person or name")] = None


# Bodies the document describes but the handlers take undecoded: the plan's strict parse decodes
# them (see PolicyIn), where Litestar would convert a Struct leniently (the string "300" for 300).
UNDECODED_BODIES: tuple[type[msgspec.Struct], ...] = (PolicyIn, PolicyChangeIn)
# In a Struct that Litestar decodes, a whole plan is a JSON object for the plan's parse, read as PolicyIn.
PlanDocument = Annotated[
    dict[str, Any],
    Meta(
        description="A whole policy document, as PUT /v1/policy takes it",
        extra_json_schema={"$ref": "#/components/schemas/PolicyIn"},
    ),
]


class WhatIfBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A proposed plan, tried on the incidents detected in [since, until) (and matching the filters)."""

    policy: PlanDocument
    since: Instant
    until: Instant
    severity: Severity | None = None
    scenario: Scenario | None = None
    channel: Channel | None = None


class MilestoneOutcome(msgspec.Struct, kw_only=True):
    """How a milestone came out (at the time of the request): its status and due time."""

    status: Annotated[str, Meta(description="pending, met, breached or cancelled")]
    due_at: datetime | None


class WhatIfChange(msgspec.Struct, kw_only=True):
    incident_id: uuid.UUID
    metric: Annotated[str, Meta(description="acknowledge, first_response, update or resolve")]
    current: Annotated[MilestoneOutcome | None, Meta(description="Under the incident's own plan; null: no target")]
    proposed: Annotated[MilestoneOutcome | None, Meta(description="Under the proposed plan; null: no target")]


class WhatIfOut(msgspec.Struct, kw_only=True):
    """The same incidents measured under their own plans and under the proposed one. (`changed`
    comes first: the answer is streamed, the changes as they are found, the reports at the end.)"""

    changed: Annotated[
        list[WhatIfChange],
        Meta(
            description="The milestones whose status differs (or with a target on one side only), "
            "by detection time; at most `changed_limit`"
        ),
    ]
    changed_total: Annotated[int, Meta(description="How many milestones differ in all")]
    changed_limit: int
    incidents: Annotated[int, Meta(description="How many incidents were measured")]
    current: Annotated[SlaReport, Meta(description="Equal to GET /v1/reports/sla with the same filters")]
    proposed: SlaReport

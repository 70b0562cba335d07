"""Commands: what a client asks the ledger to do, to one incident or to the tenant's plan. Built by the HTTP shell."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from ledger.domain.plan import ReplyReviewPlan
from schemas.events import Channel, NoteKind, Severity, Visibility


class _Command(msgspec.Struct, frozen=True, kw_only=True):
    incident_id: uuid.UUID
    actor: str
    occurred_at: datetime | None = None


class Detect(_Command, frozen=True, kw_only=True):
    title: str
    severity: Severity
    channel: Channel
    scenario: str | None = None
    source_url: str | None = None
    summary: str | None = None
    reach: int | None = None
    dedup_key: str | None = None
    policy_version: int = 0


class ReceiveSignal(_Command, frozen=True, kw_only=True):
    source_url: str | None = None
    reach: int | None = None
    summary: str | None = None


class Acknowledge(_Command, frozen=True, kw_only=True):
    note: str | None = None


class Assign(_Command, frozen=True, kw_only=True):
    role: str
    assignee: str
    # The tenant's current role catalogue, looked up by the shell: the rule stays pure.
    known_roles: frozenset[str] = frozenset()


class Unassign(_Command, frozen=True, kw_only=True):
    role: str
    assignee: str
    reason: str | None = None


class Reply(_Command, frozen=True, kw_only=True):
    channel: Channel
    text: str
    visibility: Visibility
    in_reply_to: str | None = None
    url: str | None = None
    approved_by: str | None = None
    drafted_by: str | None = None
    language: str | None = None  # (None: detected)
    template_id: str | None = None
    # Filled in by the shell from the plan in force, so the rules stay pure.
    review_plan: ReplyReviewPlan = ReplyReviewPlan()
    holding_ids: frozenset[str] = frozenset()


class ChangeSeverity(_Command, frozen=True, kw_only=True):
    severity: Severity
    reason: str | None = None


class Note(_Command, frozen=True, kw_only=True):
    text: str
    kind: NoteKind = NoteKind.NOTE


class Resolve(_Command, frozen=True, kw_only=True):
    summary: str


class Reopen(_Command, frozen=True, kw_only=True):
    reason: str


class RecordSlaNotice(_Command, frozen=True, kw_only=True):
    metric: str
    kind: str
    due_at: datetime


class SuggestEscalation(_Command, frozen=True, kw_only=True):
    """Suggest raising the severity if the peak reach has reached the threshold of the current one."""

    # The incident's plan's `escalate_at_reach` per severity, looked up by the caller: the rule stays pure.
    thresholds: dict[str, int | None] = {}


Command = (
    Detect
    | ReceiveSignal
    | Acknowledge
    | Assign
    | Unassign
    | Reply
    | ChangeSeverity
    | Note
    | Resolve
    | Reopen
    | RecordSlaNotice
    | SuggestEscalation
)


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """A listening tool's signal: more of the open incident with its dedup_key, or a new incident."""

    actor: str
    occurred_at: datetime | None = None
    dedup_key: str
    title: str
    severity: Severity
    channel: Channel
    scenario: str | None = None
    source_url: str | None = None
    summary: str | None = None
    reach: int | None = None


class ChangePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Replace the tenant's plan with `document` (as sent, without `actor`; its `version` is ignored)."""

    actor: str
    document: dict[str, Any]

"""The two measured blocks of an incident as the API returns them: `sla` and `coverage`.

PRODUCT.md ("SLA metrics", "Role coverage") defines what they mean; projections/sla.py and
projections/coverage.py compute them and say how they read the gaps PRODUCT.md leaves. Every
field is always present: a value not known yet is null, never absent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

MilestoneStatus = Literal["pending", "met", "breached", "cancelled"]

_CALENDAR = Meta(description="The policy calendar the target counts in; null: around the clock")
_ELAPSED = Meta(description="Seconds from the detection to `met_at`, in the target's calendar, floored")


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    """One of acknowledge, first_response, resolve, measured against its target at the current severity."""

    target_seconds: int
    calendar: Annotated[str | None, _CALENDAR]
    due_at: datetime | None
    status: MilestoneStatus
    met_at: datetime | None
    breached_at: datetime | None
    elapsed_seconds: Annotated[int | None, _ELAPSED]
    met_by_event_id: UUID | None


class UpdateBlock(msgspec.Struct, frozen=True, kw_only=True):
    """The update cadence: gaps between consecutive public replies while the incident is open."""

    target_seconds: int
    calendar: Annotated[str | None, _CALENDAR]
    status: MilestoneStatus
    due_at: Annotated[datetime | None, Meta(description="The running gap's due time while open, else null")]
    breached_at: Annotated[datetime | None, Meta(description="The earliest breach, if any")]
    next_due_at: Annotated[datetime | None, Meta(description="Same as `due_at`")]
    gaps: Annotated[int, Meta(description="Completed gaps measured")]
    breaches: Annotated[int, Meta(description="Completed gaps over target + `unanswered_breaches`")]
    max_gap_seconds: int | None
    gap_seconds: Annotated[list[int], Meta(description="Each completed gap, in the target's calendar")]
    gap_breached: Annotated[list[bool], Meta(description="Whether each completed gap breached")]
    unanswered_breaches: Annotated[int, Meta(description="Overdue gaps that never got a reply")]


class SlaBlock(msgspec.Struct, frozen=True, kw_only=True):
    """An incident's SLA milestones; a milestone whose target is null at the current severity is null."""

    acknowledge: Milestone | None
    first_response: Milestone | None
    update: UpdateBlock | None
    resolve: Milestone | None


class CoverageBlock(msgspec.Struct, frozen=True, kw_only=True):
    """Who the incident's severity requires, who is missing, and for how long roles went unheld."""

    required: Annotated[list[str], Meta(description="Roles the current severity requires, in the policy's order")]
    missing: Annotated[list[str], Meta(description="Required roles nobody holds (as at the resolution if resolved)")]
    full_coverage_at: Annotated[
        datetime | None, Meta(description="The first instant every role then required was held while open")
    ]
    uncovered_seconds: Annotated[
        dict[str, int], Meta(description="Per required role: open seconds during which it was required and unheld")
    ]


class ReachBlock(msgspec.Struct, frozen=True, kw_only=True):
    """How far the incident's reactions reached, from the reach its detection and signals gave
    (PRODUCT.md "Reach and escalation suggestions"); a figure nobody gave is null."""

    first: Annotated[int | None, Meta(description="The earliest reach given (by occurred_at)")]
    latest: Annotated[int | None, Meta(description="The most recent reach given (by occurred_at)")]
    peak: Annotated[int | None, Meta(description="The highest reach given")]
    signals: Annotated[int, Meta(description="signal_received events recorded on the incident")]

"""The emergency plan's document, as `GET`/`PUT /v1/policy` speak it and the ledger stores it.

The rules that use it (defaults, targets, validation) are in projections/policy.py; a document
from outside gets in only through its `parse_policy`, which checks every cross-reference.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An SLA target: a budget of seconds, counted around the clock or in a named calendar."""

    seconds: Annotated[int, Meta(description="Positive")]
    calendar: Annotated[str | None, Meta(description="One of the plan's `calendars`; null: around the clock")] = None


class Calendar(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Business hours: weekly local opening intervals (`"HH:MM"`, end may be `"24:00"`) and holidays."""

    timezone: Annotated[str, Meta(description="An IANA time zone, e.g. Europe/Istanbul")]
    weekly: Annotated[
        dict[str, list[tuple[str, str]]],
        Meta(description="By weekday (mon..sun): opening intervals [start, end], HH:MM, not overlapping"),
    ]
    holidays: Annotated[list[str], Meta(description="Closed all day: YYYY-MM-DD dates")] = []


class SeverityPlan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One severity's plan: the roles it requires, in order, a target (or null) per SLA metric, and
    the peak reach at which an open incident of this severity gets an escalation suggestion
    (`escalate_at_reach`; null, the default when absent: never)."""

    required_roles: Annotated[list[str], Meta(description="Roles of the plan's catalogue, each once")]
    targets: Annotated[
        dict[str, Target | None],
        Meta(description="One entry for each of acknowledge, first_response, update and resolve (null: no target)"),
    ]
    escalate_at_reach: int | None = None


class ReplyReviewPlan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How replies are reviewed: whether a flagged public reply needs `approved_by`, and the
    tenant's own words: `terms` added to the built-in lists per kind, `allow` removed from them."""

    require_approval_when_flagged: bool = True
    terms: dict[str, list[str]] = {}
    allow: list[str] = []


class HoldingStatement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A pre-approved first statement for a scenario, in a language; a reply may name it (`template_id`)."""

    id: str
    text: str
    language: str = "en"
    scenario: str | None = None


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The plan: role catalogue, one plan per severity (sev1..sev4), named business-hours calendars.
    `version` is assigned by the server (0: the built-in default)."""

    version: int
    roles: list[str]
    severities: dict[str, SeverityPlan]
    calendars: dict[str, Calendar] = {}
    reply_review: ReplyReviewPlan = msgspec.field(default_factory=ReplyReviewPlan)
    holding_statements: list[HoldingStatement] = []


class PolicyIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole plan as a client sends it (PUT /v1/policy, the what-if's `policy`): `Policy`, whose
    version the server assigns. This documents the body; the body is decoded by the plan's strict
    parse (ledger.domain.plan.parse_policy), which also checks what a schema does not say (names,
    cross-references, calendars, limits) and refuses with 422 `invalid-value`, naming every problem."""

    version: Annotated[Any, Meta(description="Ignored: the server assigns the version")] = None
    roles: Annotated[list[str], Meta(description="The role catalogue: names like ^[a-z][a-z0-9_]{0,63}$, each once")]
    severities: Annotated[dict[str, SeverityPlan], Meta(description="One plan for each of sev1, sev2, sev3 and sev4")]
    calendars: Annotated[dict[str, Calendar], Meta(description="Business-hours calendars, by name")] = {}
    reply_review: ReplyReviewPlan = msgspec.field(default_factory=ReplyReviewPlan)
    holding_statements: list[HoldingStatement] = []

"""The emergency plan's document, as `GET`/`PUT /v1/policy` speak it and the ledger stores it.

The rules that use it (defaults, targets, validation) are in projections/policy.py; a document
from outside gets in only through its `parse_policy`, which checks every cross-reference.
"""

from __future__ import annotations

import msgspec


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An SLA target: a budget of seconds, counted around the clock or in a named calendar."""

    seconds: int
    calendar: str | None = None


class Calendar(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Business hours: weekly local opening intervals (`"HH:MM"`, end may be `"24:00"`) and holidays."""

    timezone: str
    weekly: dict[str, list[tuple[str, str]]]
    holidays: list[str] = []


class SeverityPlan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One severity's plan: the roles it requires, in order, a target (or null) per SLA metric, and
    the peak reach at which an open incident of this severity gets an escalation suggestion
    (`escalate_at_reach`; null, the default when absent: never)."""

    required_roles: list[str]
    targets: dict[str, Target | None]
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

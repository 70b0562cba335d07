"""The emergency plan: role catalogue, required roles and SLA targets per severity, calendars.

The document is the one `GET`/`PUT /v1/policy` speaks (PRODUCT.md, "Policy document"); its
shape is `schemas.policy.Policy`.
`parse_policy` is the only way in from the outside: it decodes strictly and then checks every
cross-reference, collecting all problems into one `PolicyInvalid`.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from ledger.domain.review.rule import PROBLEM_KINDS
from schemas.policy import Calendar, HoldingStatement, Policy, ReplyReviewPlan, SeverityPlan, Target

SEVERITIES: Final = ("sev1", "sev2", "sev3", "sev4")
METRICS: Final = ("acknowledge", "first_response", "update", "resolve")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ROLE_RE: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HHMM_RE: Final = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STATEMENT_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
REVIEW_LANGUAGES: Final = ("en", "tr")
_MAX_TERMS: Final = 500
_MAX_TERM_CHARS: Final = 200
_MAX_STATEMENTS: Final = 200
_MAX_STATEMENT_CHARS: Final = 20_000
MAX_REACH: Final = 10**15  # (as a signal's reach: schemas.api.Reach)


class PolicyInvalid(ValueError):
    """The document was refused; `errors` lists every problem found, one message each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _plan(
    roles: list[str], ack: int, first: int, update: int | None, resolve: int, escalate_at_reach: int | None
) -> SeverityPlan:
    def t(seconds: int | None) -> Target | None:
        return None if seconds is None else Target(seconds=seconds, calendar=None)

    return SeverityPlan(
        required_roles=roles,
        targets={
            "acknowledge": t(ack),
            "first_response": t(first),
            "update": t(update),
            "resolve": t(resolve),
        },
        escalate_at_reach=escalate_at_reach,
    )


_MIN: Final = 60
_HOUR: Final = 3600
_DAY: Final = 86400

DEFAULT_POLICY: Final = Policy(
    version=0,
    roles=[
        "incident_lead",
        "social_responder",
        "communications",
        "legal",
        "customer_support",
        "executive_sponsor",
    ],
    calendars={},
    severities={
        "sev1": _plan(
            ["incident_lead", "social_responder", "communications", "legal", "executive_sponsor"],
            5 * _MIN,
            30 * _MIN,
            60 * _MIN,
            24 * _HOUR,
            None,  # (nothing to escalate to)
        ),
        "sev2": _plan(
            ["incident_lead", "social_responder", "communications"],
            15 * _MIN,
            60 * _MIN,
            4 * _HOUR,
            72 * _HOUR,
            1_000_000,
        ),
        "sev3": _plan(["incident_lead", "social_responder"], _HOUR, 4 * _HOUR, None, 7 * _DAY, 250_000),
        "sev4": _plan(["social_responder"], 4 * _HOUR, 24 * _HOUR, None, 14 * _DAY, 50_000),
    },
)


def target_of(policy: Policy, severity: str, metric: str) -> Target | None:
    """The target for `metric` at `severity` (None: no target)."""
    return policy.severities[severity].targets.get(metric)


def escalation_thresholds(policy: Policy) -> dict[str, int | None]:
    """Per severity, the peak reach at which an open incident gets an escalation suggestion."""
    return {sev: plan.escalate_at_reach for sev, plan in policy.severities.items()}


def required_roles(policy: Policy, severity: str) -> list[str]:
    return list(policy.severities[severity].required_roles)


def calendar_of(policy: Policy, target: Target) -> Calendar | None:
    """The calendar a target counts in (None: around the clock)."""
    return None if target.calendar is None else policy.calendars[target.calendar]


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The document as the API answers it (JSON-shaped: intervals are lists, not tuples)."""
    out: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(policy))
    return out


def parse_policy(raw: bytes | dict[str, Any], version: int) -> Policy:
    """Decode and validate a policy document; `version` overrides any version in `raw`."""
    try:
        doc = msgspec.json.decode(raw) if isinstance(raw, bytes | bytearray | memoryview) else dict(raw)
    except msgspec.DecodeError as exc:
        raise PolicyInvalid([f"not valid JSON: {exc}"]) from exc
    if not isinstance(doc, dict):
        raise PolicyInvalid(["the policy must be a JSON object"])
    doc = {**doc, "version": version}
    try:
        policy = msgspec.convert(doc, Policy)
    except msgspec.ValidationError as exc:
        raise PolicyInvalid([str(exc)]) from exc
    errors = validation_errors(policy)
    if errors:
        raise PolicyInvalid(errors)
    return policy


def validation_errors(policy: Policy) -> list[str]:
    """Every cross-reference and value problem of a structurally valid document."""
    errors: list[str] = []
    seen: set[str] = set()
    for role in policy.roles:
        if not _ROLE_RE.match(role):
            errors.append(f"roles: invalid role name {role!r} (must match ^[a-z][a-z0-9_]{{0,63}}$)")
        if role in seen:
            errors.append(f"roles: duplicate role {role!r}")
        seen.add(role)
    for name, cal in policy.calendars.items():
        errors.extend(_calendar_errors(name, cal))
    for sev in SEVERITIES:
        if sev not in policy.severities:
            errors.append(f"severities: missing {sev}")
    for sev, plan in policy.severities.items():
        if sev not in SEVERITIES:
            errors.append(f"severities: unknown severity {sev!r}")
            continue
        errors.extend(_plan_errors(sev, plan, seen, policy.calendars))
    errors.extend(_reply_review_errors(policy.reply_review))
    errors.extend(_holding_statement_errors(policy.holding_statements))
    return errors


def _words_errors(where: str, words: list[str]) -> list[str]:
    if len(words) > _MAX_TERMS:
        return [f"{where}: at most {_MAX_TERMS} entries, got {len(words)}"]
    return [
        f"{where}[{i}]: must be 1 to {_MAX_TERM_CHARS} characters of text"
        for i, word in enumerate(words)
        if not word.strip() or len(word) > _MAX_TERM_CHARS
    ]


def _reply_review_errors(plan: ReplyReviewPlan) -> list[str]:
    errors: list[str] = []
    for kind, words in plan.terms.items():
        if kind not in PROBLEM_KINDS:
            errors.append(f"reply_review.terms: unknown kind {kind!r} (one of {', '.join(PROBLEM_KINDS)})")
        errors.extend(_words_errors(f"reply_review.terms.{kind}", words))
    errors.extend(_words_errors("reply_review.allow", plan.allow))
    return errors


def _holding_statement_errors(statements: list[HoldingStatement]) -> list[str]:
    errors: list[str] = []
    if len(statements) > _MAX_STATEMENTS:
        errors.append(f"holding_statements: at most {_MAX_STATEMENTS}, got {len(statements)}")
    seen: set[str] = set()
    for i, statement in enumerate(statements):
        where = f"holding_statements[{i}]"
        if not _STATEMENT_ID_RE.match(statement.id):
            errors.append(f"{where}.id: invalid id {statement.id!r} (must match ^[a-z0-9][a-z0-9_-]{{0,63}}$)")
        if statement.id in seen:
            errors.append(f"{where}.id: duplicate id {statement.id!r}")
        seen.add(statement.id)
        if statement.language not in REVIEW_LANGUAGES:
            errors.append(f"{where}.language: must be one of {', '.join(REVIEW_LANGUAGES)}")
        if not statement.text.strip() or len(statement.text) > _MAX_STATEMENT_CHARS:
            errors.append(f"{where}.text: must be 1 to {_MAX_STATEMENT_CHARS} characters of text")
        if statement.scenario is not None and not 1 <= len(statement.scenario) <= 64:
            errors.append(f"{where}.scenario: must be 1 to 64 characters")
    return errors


def _plan_errors(sev: str, plan: SeverityPlan, roles: set[str], calendars: dict[str, Calendar]) -> list[str]:
    errors: list[str] = []
    required_seen: set[str] = set()
    for role in plan.required_roles:
        if role not in roles:
            errors.append(f"severities.{sev}.required_roles: unknown role {role!r}")
        if role in required_seen:
            errors.append(f"severities.{sev}.required_roles: duplicate role {role!r}")
        required_seen.add(role)
    threshold = plan.escalate_at_reach
    if threshold is not None and not 0 < threshold <= MAX_REACH:
        errors.append(f"severities.{sev}.escalate_at_reach: must be a positive integer up to {MAX_REACH} or null")
    for metric in METRICS:
        if metric not in plan.targets:
            errors.append(f"severities.{sev}.targets: missing {metric} (give a target or null)")
    for metric, target in plan.targets.items():
        where = f"severities.{sev}.targets.{metric}"
        if metric not in METRICS:
            errors.append(f"{where}: unknown metric {metric!r}")
            continue
        if target is None:
            continue
        if target.seconds <= 0:
            errors.append(f"{where}.seconds: must be positive, got {target.seconds}")
        if target.calendar is not None and target.calendar not in calendars:
            errors.append(f"{where}.calendar: unknown calendar {target.calendar!r}")
    return errors


def _minutes(hhmm: str, *, end: bool) -> int | None:
    if end and hhmm == "24:00":
        return 24 * 60
    if not _HHMM_RE.match(hhmm):
        return None
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _calendar_errors(name: str, cal: Calendar) -> list[str]:
    where = f"calendars.{name}"
    errors: list[str] = []
    try:
        ZoneInfo(cal.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        # (OSError: a name too long for a file name, or a folder of zones such as "Europe")
        errors.append(f"{where}.timezone: unknown IANA time zone {cal.timezone!r}")
    open_minutes = 0
    for day, intervals in cal.weekly.items():
        if day not in WEEKDAYS:
            errors.append(f"{where}.weekly: unknown weekday {day!r} (use mon..sun)")
            continue
        spans: list[tuple[int, int]] = []
        for start_s, end_s in intervals:
            start, end = _minutes(start_s, end=False), _minutes(end_s, end=True)
            if start is None or end is None:
                errors.append(f"{where}.weekly.{day}: malformed interval [{start_s!r}, {end_s!r}] (HH:MM)")
                continue
            if start >= end:
                errors.append(f"{where}.weekly.{day}: interval [{start_s}, {end_s}] must start before it ends")
                continue
            spans.append((start, end))
        spans.sort()
        for (_, prev_end), (nxt_start, _) in pairwise(spans):
            if nxt_start < prev_end:
                errors.append(f"{where}.weekly.{day}: overlapping intervals")
        open_minutes += sum(e - s for s, e in spans)
    if open_minutes == 0 and not any(e.startswith(f"{where}.weekly") for e in errors):
        errors.append(f"{where}.weekly: the calendar has no opening hours at all")
    for holiday in cal.holidays:
        try:
            if not _DATE_RE.match(holiday):
                raise ValueError(holiday)
            date.fromisoformat(holiday)
        except ValueError:
            errors.append(f"{where}.holidays: invalid date {holiday!r} (YYYY-MM-DD)")
    return errors

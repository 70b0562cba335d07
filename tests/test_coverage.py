"""Role coverage over hand-worked timelines (default plan).

Required roles: sev1 incident_lead, social_responder, communications, legal, executive_sponsor;
sev2 incident_lead, social_responder, communications; sev3 incident_lead, social_responder;
sev4 social_responder. T0 is 2026-01-05 10:00Z; `m(x)` is T0 + x minutes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.plan import DEFAULT_POLICY
from projections.coverage import (
    INITIAL,
    Assignment,
    apply,
    assignments_of,
    coverage_of,
    fold,
    missing_at,
    render,
)
from schemas.blocks import CoverageBlock
from schemas.events import (
    Assigned,
    Channel,
    Detected,
    Event,
    EventData,
    Reopened,
    Resolved,
    Severity,
    SeverityChanged,
    Unassigned,
)

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
LEAD, RESPONDER, COMMS = "incident_lead", "social_responder", "communications"


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def detected(severity: str) -> Detected:
    return Detected(title="Offensive post", severity=Severity(severity), channel=Channel.X)


def assign(role: str, who: str = "ayse") -> Assigned:
    return Assigned(role=role, assignee=who)


def unassign(role: str, who: str = "ayse") -> Unassigned:
    return Unassigned(role=role, assignee=who)


def sev(severity: str) -> SeverityChanged:
    return SeverityChanged(severity=Severity(severity))


def build(*steps: tuple[float, EventData]) -> list[Event]:
    """Events in recorded order; each step is (occurred_at in minutes after T0, data)."""
    return [
        Event(
            id=uuid.uuid4(),
            tenant_id="tenant",
            incident_id=uuid.UUID(int=7),
            version=version,
            position=version,
            occurred_at=m(minutes),
            recorded_at=T0 + timedelta(days=1, seconds=version),
            actor="ayse",
            recorded_by="key",
            data=data,
            prev_hash="0" * 64,
            hash="f" * 64,
        )
        for version, (minutes, data) in enumerate(steps, start=1)
    ]


def cov(events: list[Event], now: float) -> CoverageBlock:
    return coverage_of(events, DEFAULT_POLICY, m(now))


def test_single_role_covered_after_ten_minutes() -> None:
    events = build((0, detected("sev4")), (10, assign(RESPONDER, "bob")))
    # Responder unheld from 0 to 10 = 600 s.
    assert cov(events, 30) == CoverageBlock(
        required=[RESPONDER], missing=[], full_coverage_at=m(10), uncovered_seconds={RESPONDER: 600}
    )
    assert assignments_of(fold(events)) == [Assignment(role=RESPONDER, assignee="bob", since=m(10))]


def test_unassignment_uncovers_a_role_again() -> None:
    events = build(
        (0, detected("sev3")),
        (5, assign(LEAD)),
        (20, assign(RESPONDER, "bob")),
        (40, unassign(RESPONDER, "bob")),
    )
    c = cov(events, 60)
    # Lead unheld 0-5 = 300 s; responder unheld 0-20 and 40-60 = 2400 s.
    assert c.uncovered_seconds == {LEAD: 300, RESPONDER: 2400}
    assert c.missing == [RESPONDER]
    assert c.full_coverage_at == m(20)
    assert assignments_of(fold(events)) == [Assignment(role=LEAD, assignee="ayse", since=m(5))]


def test_never_fully_covered() -> None:
    c = cov(build((0, detected("sev3")), (5, assign(LEAD))), 10)
    assert (c.full_coverage_at, c.missing) == (None, [RESPONDER])
    assert c.uncovered_seconds == {LEAD: 300, RESPONDER: 600}


def test_second_assignee_keeps_the_role_held() -> None:
    events = build(
        (0, detected("sev4")),
        (0, assign(RESPONDER, "a")),
        (5, assign(RESPONDER, "b")),
        (10, unassign(RESPONDER, "a")),
    )
    c = cov(events, 20)
    assert (c.missing, c.uncovered_seconds, c.full_coverage_at) == ([], {RESPONDER: 0}, m(0))


def test_escalation_adds_roles_from_its_occurred_at_and_keeps_full_coverage_at() -> None:
    events = build(
        (0, detected("sev3")),
        (0, assign(LEAD)),
        (0, assign(RESPONDER, "bob")),
        (30, sev("sev2")),
        (50, assign(COMMS, "cem")),
    )
    # Communications required from 30, held from 50: 1200 s. Full coverage at 0 is kept.
    c = cov(events, 60)
    assert c == CoverageBlock(
        required=[LEAD, RESPONDER, COMMS],
        missing=[],
        full_coverage_at=m(0),
        uncovered_seconds={LEAD: 0, RESPONDER: 0, COMMS: 1200},
    )
    before = cov(events[:4], 40)
    assert (before.missing, before.uncovered_seconds[COMMS]) == ([COMMS], 600)


def test_de_escalation_drops_roles_from_required() -> None:
    events = build((0, detected("sev1")), (10, sev("sev4")), (15, assign(RESPONDER)))
    c = cov(events, 20)
    # Only social_responder is required now; it was unheld 0-15 = 900 s.
    assert c == CoverageBlock(
        required=[RESPONDER], missing=[], full_coverage_at=m(15), uncovered_seconds={RESPONDER: 900}
    )


def test_resolved_incident_counts_missing_as_at_resolution() -> None:
    events = build((0, detected("sev3")), (5, assign(LEAD)), (20, Resolved(summary="ok")), (25, unassign(LEAD)))
    c = cov(events, 100)
    # At resolution the lead was held, the responder was not. Time stops at the resolution:
    # lead 0-5 = 300 s, responder 0-20 = 1200 s.
    assert c.missing == [RESPONDER]
    assert c.uncovered_seconds == {LEAD: 300, RESPONDER: 1200}
    assert assignments_of(fold(events)) == []


def test_reopen_counts_uncovered_time_again() -> None:
    events = build(
        (0, detected("sev3")),
        (5, assign(LEAD)),
        (20, Resolved(summary="ok")),
        (25, unassign(LEAD)),
        (50, Reopened(reason="again")),
    )
    c = cov(events, 100)
    # Lead: 300 + 50-100 = 3300 s. Responder: 1200 + 50-100 = 4200 s. Missing now: both.
    assert c.uncovered_seconds == {LEAD: 3300, RESPONDER: 4200}
    assert c.missing == [LEAD, RESPONDER]


def test_wrap_up_unassignments_at_the_resolution_do_not_count_as_missing() -> None:
    events = build(
        (0, detected("sev3")),
        (0, assign(LEAD)),
        (0, assign(RESPONDER)),
        (30, Resolved(summary="ok")),
        (30, unassign(LEAD)),
        (30, unassign(RESPONDER)),
    )
    c = cov(events, 60)
    assert (c.missing, c.uncovered_seconds) == ([], {LEAD: 0, RESPONDER: 0})


def test_missing_at_the_acknowledgement_due_time() -> None:
    # sev1 ack due at T0+5: lead held from 2, responder from 7.
    state = fold(build((0, detected("sev1")), (2, assign(LEAD)), (7, assign(RESPONDER))))
    assert missing_at(state, DEFAULT_POLICY, m(5)) == [RESPONDER, COMMS, "legal", "executive_sponsor"]
    # At the severity then in force: sev3 until an escalation at 10.
    state = fold(build((0, detected("sev3")), (2, assign(LEAD)), (10, sev("sev1"))))
    assert missing_at(state, DEFAULT_POLICY, m(5)) == [RESPONDER]
    assert missing_at(state, DEFAULT_POLICY, m(10)) == [RESPONDER, COMMS, "legal", "executive_sponsor"]
    assert missing_at(INITIAL, DEFAULT_POLICY, m(5)) == []


def test_backdated_assignment_counts_from_when_it_happened() -> None:
    # Recorded: lead at 30, then responder reported late as assigned at 10.
    events = build((0, detected("sev3")), (30, assign(LEAD)), (10, assign(RESPONDER)))
    c = cov(events, 40)
    assert c.uncovered_seconds == {LEAD: 1800, RESPONDER: 600}
    assert c.full_coverage_at == m(30)


def test_unassignment_backdated_before_its_assignment_empties_the_hold() -> None:
    # Assigned at 20, unassignment recorded later but dated 10: the hold is [20, 20), empty.
    events = build((0, detected("sev4")), (20, assign(RESPONDER)), (10, unassign(RESPONDER)))
    c = cov(events, 40)
    assert (c.missing, c.uncovered_seconds, c.full_coverage_at) == ([RESPONDER], {RESPONDER: 2400}, None)


def test_roles_not_required_do_not_matter() -> None:
    events = build((0, detected("sev4")), (1, assign("customer_support")), (2, assign(RESPONDER)))
    c = cov(events, 3)
    assert c == CoverageBlock(
        required=[RESPONDER], missing=[], full_coverage_at=m(2), uncovered_seconds={RESPONDER: 120}
    )


def test_fold_is_incremental_and_render_needs_a_detection() -> None:
    events = build((0, detected("sev4")), (10, assign(RESPONDER)))
    state = INITIAL
    for event in events:
        state = apply(state, event)
    assert render(state, DEFAULT_POLICY, m(20)) == cov(events, 20)
    with pytest.raises(ValueError, match="no detection"):
        render(INITIAL, DEFAULT_POLICY, m(20))


def test_now_before_the_detection_counts_nothing() -> None:
    # A detection dated up to 60 s in the future: nothing is uncovered yet.
    c = cov(build((1, detected("sev4"))), 0)
    assert (c.uncovered_seconds, c.full_coverage_at, c.missing) == ({RESPONDER: 0}, None, [RESPONDER])


# -- the sweep in `render` against the definition, instant by instant -------------------------


def _by_definition(state, policy, now: datetime) -> tuple:
    """`full_coverage_at` and `uncovered_seconds` straight from the definition: at each instant
    at which anything changed, ask again whether the incident was open, which roles its severity
    then required and who held them."""
    from ledger.domain.plan import required_roles
    from projections.coverage import _held_at, _severity_at, open_at

    required = required_roles(policy, state.severity)
    instants = {state.start, *(at for at, _ in state.severities), *(at for at, _ in state.lifecycle)}
    for h in state.holds:
        instants.update(t for t in (h.since, h.until) if t is not None)
    points = sorted(t for t in instants if t <= now)
    full = next(
        (
            t
            for t in points
            if open_at(state, t) and set(required_roles(policy, _severity_at(state, t))) <= _held_at(state, t)
        ),
        None,
    )
    uncovered = dict.fromkeys(required, timedelta(0))
    for a, b in pairwise([*points, now]):
        if b > a and open_at(state, a):
            needed = set(required_roles(policy, _severity_at(state, a)))
            for role in required:
                if role in needed and role not in _held_at(state, a):
                    uncovered[role] += b - a
    return full, {r: d.days * 86400 + d.seconds for r, d in uncovered.items()}


_ROLES = [LEAD, RESPONDER, COMMS, "legal", "executive_sponsor"]


def _step(kind: int, role: int, who: int) -> EventData:
    r, w = _ROLES[role], f"p{who}"
    return [assign(r, w), unassign(r, w), sev(f"sev{who + 1}"), Resolved(summary="done"), Reopened(reason="again")][
        kind
    ]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["sev1", "sev2", "sev3", "sev4"]),
    st.lists(
        st.tuples(
            st.floats(min_value=-30, max_value=600, allow_nan=False).map(lambda x: round(x, 3)),
            st.integers(0, 4),
            st.integers(0, 4),
            st.integers(0, 3),
        ),
        max_size=14,
    ),
    st.floats(min_value=-10, max_value=700, allow_nan=False),
)
def test_the_sweep_measures_what_the_definition_says(first: str, steps, now: float) -> None:
    events = build((0, detected(first)), *((at, _step(kind, role, who)) for at, kind, role, who in steps))
    state = fold(events)
    block = render(state, DEFAULT_POLICY, m(now))
    assert (block.full_coverage_at, block.uncovered_seconds) == _by_definition(state, DEFAULT_POLICY, m(now))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-30, 600), st.integers(0, 4), st.integers(0, 4), st.integers(0, 3)), max_size=20),
    st.data(),
)
def test_a_fold_in_pieces_is_the_fold_event_by_event(steps, data) -> None:
    events = build((0, detected("sev2")), *((at, _step(kind, role, who)) for at, kind, role, who in steps))
    one_by_one = INITIAL
    for event in events:
        one_by_one = apply(one_by_one, event)
    cut = data.draw(st.integers(0, len(events)))
    assert fold(events[cut:], fold(events[:cut])) == one_by_one == fold(events)


def test_a_second_detection_starts_the_holds_afresh() -> None:
    first = build((0, detected("sev4")), (1, assign(RESPONDER)), (2, assign(LEAD)))
    again = build((3, detected("sev3")), (4, assign(COMMS)))
    state = fold([*first, *again])
    assert state == fold(again)
    assert [h.role for h in state.holds] == [COMMS]

"""The SLA block over hand-worked timelines (default plan unless a test says otherwise).

Default targets: sev1 ack 5 min, first 30 min, update 60 min, resolve 24 h; sev2 15 min, 60 min,
4 h, 72 h; sev3 1 h, 4 h, no update, 7 d; sev4 4 h, 24 h, no update, 14 d.
T0 is Monday 2026-01-05 10:00Z; `m(x)` is T0 + x minutes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.plan import DEFAULT_POLICY, Policy, parse_policy, policy_to_dict
from projections import sla_replay
from projections.sla import (
    INITIAL,
    TYPES_READ,
    Sla,
    apply,
    fold,
    render,
    render_resuming,
    same_targets,
    severities_held,
    sla_of,
)
from schemas.blocks import Milestone
from schemas.events import (
    Acknowledged,
    Channel,
    Detected,
    Event,
    EventData,
    Metric,
    Noted,
    NoticeKind,
    Reopened,
    Replied,
    Resolved,
    Severity,
    SeverityChanged,
    SignalReceived,
    SlaNotice,
    Visibility,
    type_of,
)

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
INCIDENT = uuid.UUID("00000000-0000-0000-0000-0000000000aa")


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def detected(severity: str = "sev1") -> Detected:
    return Detected(title="Viral complaint", severity=Severity(severity), channel=Channel.X)


ACK = Acknowledged()
PUBLIC = Replied(channel=Channel.X, text="We are on it.", visibility=Visibility.PUBLIC)
PRIVATE = Replied(channel=Channel.X, text="DM", visibility=Visibility.PRIVATE)
RESOLVED = Resolved(summary="fixed")
REOPENED = Reopened(reason="it's back")


def sev(severity: str) -> SeverityChanged:
    return SeverityChanged(severity=Severity(severity))


def build(*steps: tuple[float | datetime, EventData]) -> list[Event]:
    """Events in recorded order; each step is (occurred_at as minutes after T0 or a datetime, data)."""
    events = []
    for version, (when, data) in enumerate(steps, start=1):
        occurred = when if isinstance(when, datetime) else m(when)
        events.append(
            Event(
                id=uuid.uuid4(),
                tenant_id="tenant",
                incident_id=INCIDENT,
                version=version,
                position=version,
                occurred_at=occurred,
                # recorded_at is deliberately unrelated: only occurred_at may matter.
                recorded_at=T0 + timedelta(days=30, seconds=-version),
                actor="ayse@brand.example",
                recorded_by="key",
                data=data,
                prev_hash="0" * 64,
                hash="f" * 64,
            )
        )
    return events


def sla(events: list[Event], now: float | datetime, policy: Policy = DEFAULT_POLICY) -> Sla:
    return sla_of(events, policy, now if isinstance(now, datetime) else m(now))


def policy_with(changes: dict[tuple[str, str], dict[str, Any] | None], calendars: dict[str, Any]) -> Policy:
    d = policy_to_dict(DEFAULT_POLICY)
    d["calendars"] = calendars
    for (severity, metric), target in changes.items():
        d["severities"][severity]["targets"][metric] = target
    return parse_policy(d, version=7)


def must(milestone: Milestone | None) -> Milestone:
    assert milestone is not None
    return milestone


# -- acknowledge ------------------------------------------------------------------------------


def test_acknowledged_in_time_is_met() -> None:
    events = build((0, detected("sev1")), (3, ACK))
    ack = must(sla(events, 10).acknowledge)
    # 3 minutes = 180 s against a 300 s target due at T0 + 5 min.
    assert ack == Milestone(
        target_seconds=300,
        calendar=None,
        due_at=m(5),
        status="met",
        met_at=m(3),
        breached_at=None,
        elapsed_seconds=180,
        met_by_event_id=events[1].id,
    )


def test_pending_milestones_before_anything_happens() -> None:
    s = sla(build((0, detected("sev1"))), 4)
    assert must(s.acknowledge).status == "pending"
    assert must(s.acknowledge).due_at == m(5)
    assert must(s.first_response).due_at == m(30)
    assert must(s.resolve).due_at == m(24 * 60)
    assert s.update is not None
    assert (s.update.status, s.update.next_due_at, s.update.gaps, s.update.max_gap_seconds) == (
        "pending",
        None,
        0,
        None,
    )
    assert s.first_resolved_at is None


def test_pending_milestone_breaches_when_due_reaches_now() -> None:
    # Due T0+5 min; at now = due exactly it is breached, breached_at = due_at.
    ack = must(sla(build((0, detected("sev1"))), 5).acknowledge)
    assert (ack.status, ack.breached_at, ack.met_at, ack.elapsed_seconds) == ("breached", m(5), None, None)


def test_acknowledged_exactly_at_due_is_met() -> None:
    ack = must(sla(build((0, detected("sev1")), (5, ACK)), 6).acknowledge)
    assert (ack.status, ack.elapsed_seconds) == ("met", 300)


def test_breached_then_fulfilled_stays_breached_and_records_when() -> None:
    events = build((0, detected("sev1")), (8, ACK))
    ack = must(sla(events, 9).acknowledge)
    # Due T0+5; acknowledged at T0+8 = 480 s.
    assert (ack.status, ack.breached_at, ack.met_at, ack.elapsed_seconds) == ("breached", m(5), m(8), 480)
    assert ack.met_by_event_id == events[1].id


def test_only_explicit_acknowledgement_counts() -> None:
    events = build((0, detected("sev1")), (1, PUBLIC), (2, Noted(text="on it")), (3, SignalReceived()))
    assert must(sla(events, 4).acknowledge).status == "pending"


# -- first response ---------------------------------------------------------------------------


def test_first_response_is_the_earliest_public_reply_on_any_channel() -> None:
    ig = Replied(channel=Channel.INSTAGRAM, text="Sorry", visibility=Visibility.PUBLIC)
    events = build((0, detected("sev1")), (5, PRIVATE), (12, ig), (20, PUBLIC))
    first = must(sla(events, 25).first_response)
    # Private at 5 does not count; instagram at 12 = 720 s, due 30 min.
    assert (first.status, first.met_at, first.elapsed_seconds, first.met_by_event_id) == (
        "met",
        m(12),
        720,
        events[2].id,
    )


def test_backdated_reply_becomes_the_first_response() -> None:
    # Recorded: reply at 20, then a reply that happened at 12 reported late.
    events = build((0, detected("sev1")), (20, PUBLIC), (12, PUBLIC))
    s = sla(events, 25)
    first = must(s.first_response)
    assert (first.met_at, first.elapsed_seconds, first.met_by_event_id) == (m(12), 720, events[2].id)
    # The update gap runs between them in occurred_at order: 12 -> 20 = 480 s.
    assert s.update is not None
    assert s.update.gap_seconds == [480]
    assert s.update.next_due_at == m(80)


def test_backdated_acknowledgement_counts_from_when_it_happened() -> None:
    events = build((0, detected("sev1")), (10, PUBLIC), (4, ACK))
    ack = must(sla(events, 11).acknowledge)
    assert (ack.status, ack.elapsed_seconds) == ("met", 240)


# -- escalation -------------------------------------------------------------------------------


def test_escalation_moves_the_due_time_of_pending_milestones() -> None:
    # sev3 ack due T0+60; escalated to sev2 at T0+10 -> due T0+15, still in the future.
    events = build((0, detected("sev3")), (10, sev("sev2")))
    s = sla(events, 12)
    ack = must(s.acknowledge)
    assert (ack.status, ack.target_seconds, ack.due_at) == ("pending", 900, m(15))
    assert must(s.first_response).due_at == m(60)
    assert must(s.resolve).due_at == m(72 * 60)


def test_de_escalation_gives_more_time() -> None:
    events = build((0, detected("sev1")), (2, sev("sev3")))
    ack = must(sla(events, 30).acknowledge)
    assert (ack.status, ack.due_at) == ("pending", m(60))


def test_escalation_pulling_due_into_the_past_breaches_at_once() -> None:
    # sev3 ack due T0+60; at T0+20 sev1 makes it due T0+5 -> breached at T0+20, due_at T0+5.
    events = build((0, detected("sev3")), (20, sev("sev1")), (25, ACK))
    s = sla(events, 26)
    ack = must(s.acknowledge)
    assert (ack.status, ack.due_at, ack.breached_at, ack.met_at, ack.elapsed_seconds) == (
        "breached",
        m(5),
        m(20),
        m(25),
        1500,
    )
    # first_response at sev1 is due T0+30, still ahead.
    first = must(s.first_response)
    assert (first.status, first.due_at) == ("pending", m(30))


def test_settled_milestone_keeps_its_target_and_due() -> None:
    events = build((0, detected("sev3")), (30, ACK), (40, sev("sev1")))
    ack = must(sla(events, 50).acknowledge)
    assert (ack.status, ack.target_seconds, ack.due_at) == ("met", 3600, m(60))


def test_backdated_escalation_counts_from_its_occurred_at() -> None:
    # Recorded: ack at 30, then an escalation to sev1 that happened at 2. Replayed by occurred_at:
    # sev1 from 2 -> ack due 5, passes at 5 -> breached at 5; the ack at 30 is late (1800 s).
    events = build((0, detected("sev3")), (30, ACK), (2, sev("sev1")))
    ack = must(sla(events, 31).acknowledge)
    assert (ack.status, ack.target_seconds, ack.breached_at, ack.elapsed_seconds) == (
        "breached",
        300,
        m(5),
        1800,
    )


def test_severity_changes_apply_in_recorded_order() -> None:
    # Recorded: sev1 at 20, then sev2 backdated to 10. The current severity is sev2 (latest
    # recorded); it takes effect at 20, not before the sev1 it was recorded after.
    # sev1 at 20: ack due 5 <= 20 -> breached at 20. sev2: first_response due T0+60.
    events = build((0, detected("sev3")), (20, sev("sev1")), (10, sev("sev2")))
    s = sla(events, 30)
    ack = must(s.acknowledge)
    assert (ack.status, ack.target_seconds, ack.breached_at) == ("breached", 300, m(20))
    first = must(s.first_response)
    assert (first.status, first.target_seconds, first.due_at) == ("pending", 3600, m(60))


# -- resolution -------------------------------------------------------------------------------


def test_resolution_cancels_pending_milestones_not_yet_due() -> None:
    events = build((0, detected("sev3")), (10, ACK), (20, RESOLVED))
    s = sla(events, 300)
    assert must(s.acknowledge).status == "met"
    first = must(s.first_response)
    # First response was due T0+4h; resolved at T0+20 min: cancelled, due kept.
    assert (first.status, first.due_at, first.met_at, first.breached_at) == ("cancelled", m(240), None, None)
    resolve = must(s.resolve)
    assert (resolve.status, resolve.met_at, resolve.elapsed_seconds, resolve.met_by_event_id) == (
        "met",
        m(20),
        1200,
        events[2].id,
    )
    assert s.update is None  # sev3 has no update target
    assert s.first_resolved_at == m(20)


def test_resolution_after_due_breaches_instead_of_cancelling() -> None:
    # sev1 resolved at T0+40 without ack (due 5) or reply (due 30): both breached at their due.
    s = sla(build((0, detected("sev1")), (40, RESOLVED)), 50)
    assert (must(s.acknowledge).status, must(s.acknowledge).breached_at) == ("breached", m(5))
    assert (must(s.first_response).status, must(s.first_response).breached_at) == ("breached", m(30))
    assert must(s.resolve).status == "met"


def test_late_resolution_is_breached_with_elapsed() -> None:
    # sev1 resolve due T0+24h; resolved at T0+25h = 90000 s.
    s = sla(build((0, detected("sev1")), (3, ACK), (25 * 60, RESOLVED)), 26 * 60)
    resolve = must(s.resolve)
    assert (resolve.status, resolve.breached_at, resolve.elapsed_seconds) == ("breached", m(24 * 60), 90000)


# -- reopen -----------------------------------------------------------------------------------


def test_reopen_makes_resolve_pending_with_its_original_due() -> None:
    events = build((0, detected("sev1")), (2, ACK), (10, PUBLIC), (20, RESOLVED), (30, REOPENED))
    s = sla(events, 40)
    resolve = must(s.resolve)
    assert (resolve.status, resolve.due_at, resolve.met_at, resolve.elapsed_seconds) == (
        "pending",
        m(24 * 60),
        None,
        None,
    )
    assert s.first_resolved_at == m(20)
    assert must(s.acknowledge).status == "met"
    assert must(s.first_response).status == "met"
    # Update restarts from the reopen: next due T0+30+60.
    assert s.update is not None
    assert (s.update.status, s.update.next_due_at, s.update.gaps) == ("pending", m(90), 0)


def test_reopen_after_resolve_due_breaches_at_once_and_latest_resolution_counts() -> None:
    # Resolved in time at T0+60 min; reopened at T0+25h, past the 24h due: breached at the reopen.
    # Resolved again at T0+26h = 93600 s; first resolution kept.
    events = build((0, detected("sev1")), (60, RESOLVED), (25 * 60, REOPENED), (26 * 60, RESOLVED))
    reopened = sla(events[:3], 25 * 60 + 1)
    assert (must(reopened.resolve).status, must(reopened.resolve).breached_at) == ("breached", m(25 * 60))
    s = sla(events, 27 * 60)
    resolve = must(s.resolve)
    assert (resolve.status, resolve.breached_at, resolve.met_at, resolve.elapsed_seconds) == (
        "breached",
        m(25 * 60),
        m(26 * 60),
        93600,
    )
    assert resolve.met_by_event_id == events[3].id
    assert s.first_resolved_at == m(60)


def test_cancelled_acknowledgement_is_pending_again_after_reopen() -> None:
    # sev3: resolved at 10 (ack due 60 cancelled), reopened at 30 -> pending, acknowledged at 45.
    events = build((0, detected("sev3")), (10, RESOLVED), (30, REOPENED), (45, ACK))
    assert must(sla(events[:2], 20).acknowledge).status == "cancelled"
    assert must(sla(events[:3], 40).acknowledge).status == "pending"
    s = sla(events, 50)
    ack = must(s.acknowledge)
    assert (ack.status, ack.elapsed_seconds) == ("met", 2700)
    first = must(s.first_response)
    assert (first.status, first.due_at) == ("pending", m(240))


def test_cancelled_milestone_past_its_due_breaches_at_the_reopen() -> None:
    # sev3: resolved at 10, reopened at 90 -> ack (due 60) breached at once, breached_at T0+90.
    events = build((0, detected("sev3")), (10, RESOLVED), (90, REOPENED))
    ack = must(sla(events, 91).acknowledge)
    assert (ack.status, ack.due_at, ack.breached_at) == ("breached", m(60), m(90))


# -- update -----------------------------------------------------------------------------------


def test_update_gaps_between_public_replies() -> None:
    # sev1 update every 60 min. Replies at 10, 50, 130 (private at 100 ignored):
    # gaps 40 min = 2400 s (met), 80 min = 4800 s (breached at 50+60 = T0+110).
    events = build((0, detected("sev1")), (10, PUBLIC), (50, PUBLIC), (100, PRIVATE), (130, PUBLIC))
    u = sla(events, 150).update
    assert u is not None
    assert u.gap_seconds == [2400, 4800]
    assert u.gap_breached == [False, True]
    assert (u.gaps, u.breaches, u.max_gap_seconds, u.status) == (2, 1, 4800, "breached")
    assert u.breached_at == m(110)
    assert (u.next_due_at, u.due_at) == (m(190), m(190))
    assert (u.target_seconds, u.calendar, u.unanswered_breaches) == (3600, None, 0)


def test_running_gap_overdue_counts_as_a_breach() -> None:
    events = build((0, detected("sev1")), (10, PUBLIC), (30, PUBLIC))
    # Gap 10 -> 30 = 1200 s; the running gap from 30 is due at 90.
    before = sla(events, 85).update
    assert before is not None
    assert (before.status, before.breaches, before.gaps, before.next_due_at) == ("pending", 0, 1, m(90))
    after = sla(events, 95).update
    assert after is not None
    assert (after.status, after.breaches, after.unanswered_breaches, after.gaps) == ("breached", 1, 1, 1)
    assert after.breached_at == m(90)


def test_update_met_once_resolved_with_a_gap() -> None:
    u = sla(build((0, detected("sev1")), (10, PUBLIC), (40, PUBLIC), (60, RESOLVED)), 100).update
    assert u is not None
    assert (u.status, u.gaps, u.gap_seconds, u.next_due_at) == ("met", 1, [1800], None)


def test_update_cancelled_when_resolved_without_a_gap() -> None:
    u = sla(build((0, detected("sev1")), (10, PUBLIC), (20, RESOLVED)), 100).update
    assert u is not None
    assert (u.status, u.gaps, u.max_gap_seconds, u.breaches) == ("cancelled", 0, None, 0)


def test_silence_past_due_before_resolution_is_a_breach() -> None:
    # Reply at 10 (next due 70), silence, resolved at 80: an unanswered breach, no completed gap.
    u = sla(build((0, detected("sev1")), (10, PUBLIC), (80, RESOLVED)), 100).update
    assert u is not None
    assert (u.status, u.gaps, u.breaches, u.unanswered_breaches, u.breached_at) == (
        "breached",
        0,
        1,
        1,
        m(70),
    )


def test_update_restarts_from_the_reopen() -> None:
    # Gap 10 -> resolution at 20 is dropped (not yet due). Reopen at 100 starts a gap; reply at
    # 130 completes it: 1800 s. The reply at 10 stays the first response.
    events = build((0, detected("sev1")), (10, PUBLIC), (20, RESOLVED), (100, REOPENED), (130, PUBLIC))
    s = sla(events, 140)
    assert s.update is not None
    assert (s.update.gap_seconds, s.update.status, s.update.next_due_at) == ([1800], "pending", m(190))
    assert must(s.first_response).met_at == m(10)


def test_reopen_without_reply_is_overdue_after_the_target() -> None:
    events = build((0, detected("sev1")), (10, PUBLIC), (20, RESOLVED), (100, REOPENED))
    u = sla(events, 161).update
    assert u is not None
    assert (u.status, u.next_due_at, u.unanswered_breaches) == ("breached", m(160), 1)


def test_escalation_breaches_the_running_gap_at_once() -> None:
    # sev2 update every 4 h. Reply at 10, at 100 escalate to sev1 (60 min): the running gap from
    # 10 is now due 70 < 100 -> breached at 100. Reply at 110 completes a 100 min gap (6000 s).
    events = build((0, detected("sev2")), (10, PUBLIC), (100, sev("sev1")), (110, PUBLIC))
    u = sla(events, 120).update
    assert u is not None
    assert (u.gap_seconds, u.gap_breached, u.breached_at, u.target_seconds) == ([6000], [True], m(100), 3600)


# -- null targets -----------------------------------------------------------------------------


def test_null_target_is_omitted_and_appears_after_escalation() -> None:
    # sev3 has no update target: the 10 -> 20 gap completes unmeasured. At 30 sev1: the running
    # gap from 20 is due 80.
    events = build((0, detected("sev3")), (10, PUBLIC), (20, PUBLIC), (30, sev("sev1")))
    assert sla(events[:3], 25).update is None
    u = sla(events, 70).update
    assert u is not None
    assert (u.gaps, u.next_due_at, u.status) == (0, m(80), "pending")
    # Back to sev3: omitted again.
    down = build((0, detected("sev3")), (10, PUBLIC), (20, PUBLIC), (30, sev("sev1")), (40, sev("sev3")))
    assert sla(down, 70).update is None


def test_null_acknowledge_target_is_none() -> None:
    policy = policy_with({("sev4", "acknowledge"): None}, {})
    s = sla(build((0, detected("sev4")), (10, ACK)), 20, policy)
    assert s.acknowledge is None
    assert must(s.first_response).due_at == m(24 * 60)


def test_fulfilled_without_target_is_settled_when_a_target_appears() -> None:
    # sev4 has no ack target here; acknowledged at 10; sev3 (ack 1 h) from 20: met by its due.
    policy = policy_with({("sev4", "acknowledge"): None}, {})
    events = build((0, detected("sev4")), (10, ACK), (20, sev("sev3")))
    ack = must(sla(events, 30, policy).acknowledge)
    assert (ack.status, ack.due_at, ack.elapsed_seconds) == ("met", m(60), 600)


# -- business hours ---------------------------------------------------------------------------

OFFICE = {
    "office": {
        "timezone": "UTC",
        "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [],
    }
}
FRI = datetime(2026, 1, 2, tzinfo=UTC)  # a Friday; Monday is 2026-01-05


def test_business_hours_first_response() -> None:
    policy = policy_with({("sev2", "first_response"): {"seconds": 3600, "calendar": "office"}}, OFFICE)
    start = FRI + timedelta(hours=17, minutes=30)
    # 30 min Friday + 30 min Monday: due Mon 09:30.
    on_time = build((start, detected("sev2")), (T0 - timedelta(minutes=50), PUBLIC))  # Mon 09:10
    first = must(sla(on_time, T0, policy).first_response)
    assert (first.status, first.calendar, first.due_at, first.elapsed_seconds) == (
        "met",
        "office",
        datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        2400,
    )
    # A reply on Saturday counts only Friday's 30 open minutes.
    weekend = build((start, detected("sev2")), (FRI + timedelta(days=1, hours=11), PUBLIC))
    assert must(sla(weekend, T0, policy).first_response).elapsed_seconds == 1800
    # Mon 09:31 is one minute late: 3660 s, breached at Mon 09:30.
    late = build((start, detected("sev2")), (datetime(2026, 1, 5, 9, 31, tzinfo=UTC), PUBLIC))
    first = must(sla(late, T0, policy).first_response)
    assert (first.status, first.breached_at, first.elapsed_seconds) == (
        "breached",
        datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        3660,
    )
    # Pending over the weekend: not breached on Sunday evening.
    pending = build((start, detected("sev2")))
    assert must(sla(pending, FRI + timedelta(days=2, hours=20), policy).first_response).status == "pending"


def test_business_hours_update_gap() -> None:
    policy = policy_with({("sev2", "update"): {"seconds": 4 * 3600, "calendar": "office"}}, OFFICE)
    # Replies Fri 17:00 and Mon 11:00: 1 h Friday + 2 h Monday = 10800 s, due Mon 12:00.
    events = build(
        (FRI + timedelta(hours=16), detected("sev2")),
        (FRI + timedelta(hours=17), PUBLIC),
        (datetime(2026, 1, 5, 11, tzinfo=UTC), PUBLIC),
    )
    u = sla(events, datetime(2026, 1, 5, 11, 30, tzinfo=UTC), policy).update
    assert u is not None
    assert (u.gap_seconds, u.gap_breached, u.calendar) == ([10800], [False], "office")
    # Next due: Mon 11:00 + 4 business hours = Mon 15:00.
    assert u.next_due_at == datetime(2026, 1, 5, 15, tzinfo=UTC)


# -- the fold ---------------------------------------------------------------------------------


def test_other_events_do_not_change_the_figures() -> None:
    base = build((0, detected("sev1")), (3, ACK))
    noisy = build(
        (0, detected("sev1")),
        (1, Noted(text="war room")),
        (2, SlaNotice(metric=Metric.ACKNOWLEDGE, kind=NoticeKind.AT_RISK, due_at=m(5))),
        (3, ACK),
        (4, SignalReceived(reach=10)),
    )
    a, b = sla(base, 10), sla(noisy, 10)
    assert must(a.acknowledge).elapsed_seconds == must(b.acknowledge).elapsed_seconds == 180
    assert a.first_response == b.first_response
    assert a.resolve == b.resolve


def test_fold_is_incremental_and_render_needs_a_detection() -> None:
    events = build((0, detected("sev1")), (3, ACK), (10, PUBLIC))
    state = INITIAL
    for event in events:
        state = apply(state, event)
    assert render(state, DEFAULT_POLICY, m(20)) == sla(events, 20)
    with pytest.raises(ValueError, match="no detection"):
        render(INITIAL, DEFAULT_POLICY, m(20))


# -- a render resumed from the previous one's replay -------------------------------------------

_STEPS = st.lists(
    st.tuples(
        st.integers(-30, 600),  # minutes after T0: facts are often recorded late, out of order
        st.sampled_from(["ack", "public", "private", "resolved", "reopened", "sev1", "sev3", "note"]),
    ),
    max_size=25,
)
_DATA: dict[str, EventData] = {
    "ack": ACK, "public": PUBLIC, "private": PRIVATE, "resolved": RESOLVED, "reopened": REOPENED,
    "sev1": sev("sev1"), "sev3": sev("sev3"), "note": Noted(text="n"),
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(steps=_STEPS, now=st.integers(0, 2000), business_hours=st.booleans())
def test_a_render_resumed_from_the_last_replay_is_the_full_render(steps, now, business_hours) -> None:
    policy = DEFAULT_POLICY
    if business_hours:  # (a calendar makes every due time a computation of its own)
        office = {("sev2", "first_response"): {"seconds": 3600, "calendar": "office"}}
        office[("sev2", "update")] = {"seconds": 4 * 3600, "calendar": "office"}
        policy = policy_with(office, OFFICE)
    events = build((0, detected("sev2")), *((minutes, _DATA[kind]) for minutes, kind in steps))
    state, replay = INITIAL, None
    for event in events:  # one render per event, each resuming from the one before
        state = apply(state, event)
        resumed, replay = render_resuming(state, policy, m(now), replay)
        assert resumed == render(state, policy, m(now))


def test_a_long_incident_replays_only_its_new_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    events = build((0, detected("sev1")), *((minute, PUBLIC) for minute in range(1, 301)))
    state, replay = INITIAL, None
    for event in events:
        state = apply(state, event)
    _, replay = render_resuming(state, DEFAULT_POLICY, m(400))
    steps = []
    original = sla_replay.Run.step
    monkeypatch.setattr(sla_replay.Run, "step", lambda run, fact: (steps.append(fact), original(run, fact)))
    later = build((0, detected("sev1")), *((minute, PUBLIC) for minute in range(1, 303)))
    state = apply(apply(state, later[-2]), later[-1])
    resumed, _ = render_resuming(state, DEFAULT_POLICY, m(400), replay)
    assert len(steps) == 2  # the two new replies, not all 302
    steps.clear()
    assert render(state, DEFAULT_POLICY, m(400)) == resumed
    assert len(steps) == 302
    # A fact recorded late that sorts before the last one replayed: everything is replayed again.
    late = build((0, detected("sev1")), *((minute, PUBLIC) for minute in range(1, 303)), (150.5, ACK))
    state = apply(state, late[-1])
    steps.clear()
    resumed, _ = render_resuming(state, DEFAULT_POLICY, m(400), replay)
    assert len(steps) == 303 and resumed == render(state, DEFAULT_POLICY, m(400))


@settings(max_examples=200, deadline=None)
@given(steps=_STEPS, data=st.data())
def test_a_fold_in_pieces_is_the_fold_event_by_event(steps, data) -> None:
    events = build((0, detected("sev2")), *((minutes, _DATA[kind]) for minutes, kind in steps))
    one_by_one = INITIAL
    for event in events:
        one_by_one = apply(one_by_one, event)
    cut = data.draw(st.integers(0, len(events)))
    assert fold(events[cut:], fold(events[:cut])) == one_by_one == fold(events)
    assert [f.seq for f in one_by_one.facts] == sorted(f.seq for f in one_by_one.facts)


def test_a_second_detection_starts_the_facts_afresh() -> None:
    first = build((0, detected("sev1")), (1, ACK), (2, PUBLIC))
    again = build((3, detected("sev2")), (4, PUBLIC))
    state = fold([*first, *again])
    assert [(f.kind, f.event_id) for f in state.facts] == [("reply", again[1].id)]


# -- what a render reads (the what-if folds and renders by these) ------------------------------


@settings(max_examples=200, deadline=None)
@given(steps=_STEPS, now=st.integers(0, 2000), business_hours=st.booleans())
def test_a_fold_of_the_fact_types_alone_renders_as_the_whole_fold(steps, now, business_hours) -> None:
    policy = (
        policy_with({("sev2", "update"): {"seconds": 3600, "calendar": "office"}}, OFFICE)
        if business_hours
        else DEFAULT_POLICY
    )
    events = build((0, detected("sev2")), *((minutes, _DATA[kind]) for minutes, kind in steps))
    read = [e for e in events if type_of(e.data) in TYPES_READ]
    assert render(fold(read), policy, m(now)) == render(fold(events), policy, m(now))


@settings(max_examples=300, deadline=None)
@given(
    steps=_STEPS,
    changed=st.sampled_from(["sev1", "sev2", "sev3", "sev4"]),
    metric=st.sampled_from(["acknowledge", "first_response", "update", "resolve"]),
    seconds=st.sampled_from([None, 60, 3600]),
    calendar=st.sampled_from([None, "office"]),
)
def test_plans_alike_for_every_severity_held_render_alike(steps, changed, metric, seconds, calendar) -> None:
    target = None if seconds is None else {"seconds": seconds, "calendar": calendar}
    proposed = policy_with({(changed, metric): target}, OFFICE)
    events = build((0, detected("sev2")), *((minutes, _DATA[kind]) for minutes, kind in steps))
    state = fold(events)
    held = severities_held(state)
    assert held == {"sev2"} | {kind for _, kind in steps if kind in ("sev1", "sev3")}
    alike = all(same_targets(DEFAULT_POLICY, proposed, s) for s in held)
    unchanged = policy_to_dict(DEFAULT_POLICY)["severities"][changed]["targets"].get(metric) == target
    assert alike == (unchanged or changed not in held)
    if alike:
        assert render(state, DEFAULT_POLICY, m(2000)) == render(state, proposed, m(2000))

"""Reach and escalation suggestions, given/when/then: the figures folded from detections and
signals, and the decider's "once per (severity, threshold) crossing" rule. No database."""

from __future__ import annotations

import pytest

from ledger.domain.commands import SuggestEscalation
from ledger.domain.errors import ActionNotAllowed
from ledger.domain.plan import DEFAULT_POLICY, escalation_thresholds
from ledger.domain.reach import NO_REACH, Reach, reached
from ledger.domain.rules import escalation_due, fold
from projections import reach as reach_view
from schemas.blocks import ReachBlock
from schemas.events import (
    Detected,
    EscalationSuggested,
    Noted,
    Reopened,
    Resolved,
    Severity,
    SeverityChanged,
    SignalReceived,
)
from tests.test_rules import ACTOR, DETECTED, INCIDENT, given, m, refused, then, when

THRESHOLDS = {"sev1": None, "sev2": 1_000_000, "sev3": 250_000, "sev4": 50_000}
SEV3 = Detected(title="Thread", severity=Severity.SEV3, channel=DETECTED.channel, reach=12_000)


def suggest(thresholds: dict[str, int | None] = THRESHOLDS) -> SuggestEscalation:
    return SuggestEscalation(incident_id=INCIDENT, actor=ACTOR, thresholds=thresholds)


def test_the_figures_are_null_until_a_reach_is_given_and_signals_are_counted() -> None:
    state = fold(given(DETECTED, SignalReceived(summary="more")))
    assert state is not None
    assert reach_view.block(state.reach) == ReachBlock(first=None, latest=None, peak=None, signals=1)
    assert reach_view.block(fold(given(DETECTED)).reach) == ReachBlock(  # type: ignore[union-attr]
        first=None, latest=None, peak=None, signals=0
    )


def test_first_and_latest_go_by_occurred_at_and_peak_is_the_highest() -> None:
    events = given(
        (m(0), SEV3),
        (m(10), SignalReceived(reach=900_000)),
        (m(5), SignalReceived(reach=40_000)),  # reported late: not the latest
        (m(20), SignalReceived(reach=None)),  # no figure: counted, changes no figure
        (m(20), SignalReceived(reach=300_000)),  # same instant as the one before: recorded later wins
    )
    state = fold(events)
    assert state is not None
    assert reach_view.block(state.reach) == ReachBlock(first=12_000, latest=300_000, peak=900_000, signals=4)
    # The read side's fold of the events is the decider's.
    assert reach_view.fold(events) == state.reach
    # A figure backdated before the detection's is the first.
    earlier = reached(state.reach, 7, m(-1), signal=True)
    assert (earlier.first, earlier.latest, earlier.peak, earlier.signals) == (7, 300_000, 900_000, 5)
    assert reached(NO_REACH, None, m(0), signal=False) == Reach()


def test_an_escalation_is_suggested_when_the_peak_reaches_the_current_severitys_threshold() -> None:
    below = given(SEV3, SignalReceived(reach=249_999))
    refused(ActionNotAllowed, suggest(), below)
    crossed = given(SEV3, SignalReceived(reach=300_000), SignalReceived(reach=200_000))
    assert when(suggest(), crossed) == then(
        EscalationSuggested(severity=Severity.SEV3, reach=300_000, threshold=250_000)
    )


def test_once_per_severity_and_threshold_even_after_a_reopen_or_a_severity_changed_back() -> None:
    done = EscalationSuggested(severity=Severity.SEV3, reach=300_000, threshold=250_000)
    events = given(SEV3, SignalReceived(reach=300_000), done)
    refused(ActionNotAllowed, suggest(), events)
    refused(
        ActionNotAllowed, suggest(), given(SEV3, SignalReceived(reach=300_000), done, SignalReceived(reach=400_000))
    )
    # Raised to sev2 (threshold 1,000,000): nothing until the reach gets there, then once more.
    raised = given(SEV3, SignalReceived(reach=300_000), done, SeverityChanged(severity=Severity.SEV2))
    refused(ActionNotAllowed, suggest(), raised)
    grown = given(
        SEV3, SignalReceived(reach=300_000), done, SeverityChanged(severity=Severity.SEV2), SignalReceived(reach=10**6)
    )
    assert when(suggest(), grown) == then(EscalationSuggested(severity=Severity.SEV2, reach=10**6, threshold=10**6))
    # Back to sev3, resolved and reopened: that crossing was suggested already.
    back = given(
        SEV3, SignalReceived(reach=300_000), done, Resolved(summary="s"), Reopened(reason="r"), Noted(text="n")
    )
    refused(ActionNotAllowed, suggest(), back)


def test_no_suggestion_on_a_resolved_incident_nor_without_a_threshold() -> None:
    resolved = given(SEV3, SignalReceived(reach=300_000), Resolved(summary="done"))
    refused(ActionNotAllowed, suggest(), resolved)
    sev1 = given(Detected(title="t", severity=Severity.SEV1, channel=DETECTED.channel, reach=10**12))
    refused(ActionNotAllowed, suggest(), sev1)
    refused(ActionNotAllowed, suggest({}), given(SEV3, SignalReceived(reach=10**9)))
    state = fold(given(SEV3, SignalReceived(reach=10**9)))
    assert state is not None and escalation_due(state, THRESHOLDS) == 250_000


def test_the_built_in_plan_sets_the_documented_thresholds() -> None:
    assert escalation_thresholds(DEFAULT_POLICY) == THRESHOLDS


@pytest.mark.parametrize("value", [0, -1, 10**15 + 1])
def test_a_threshold_must_be_positive(value: int) -> None:
    from ledger.domain.plan import PolicyInvalid, parse_policy, policy_to_dict

    doc = policy_to_dict(DEFAULT_POLICY)
    doc["severities"]["sev4"]["escalate_at_reach"] = value
    with pytest.raises(PolicyInvalid) as refused_plan:
        parse_policy(doc, 1)
    assert any("severities.sev4.escalate_at_reach" in e for e in refused_plan.value.errors)

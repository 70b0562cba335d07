"""The rules of the writes beside the incident decider, pure (no database, no mocks): where a
signal goes (given/when/then over recorded events), a change of the plan, webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from ledger.domain.commands import ChangePolicy, Detect, ReceiveSignal, Signal
from ledger.domain.errors import ActionNotAllowed, InvalidValue, WebhookDisabled
from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.domain.plan_changes import decide_policy
from ledger.domain.rules import decide, fold
from ledger.domain.signal_routing import merge_or_detect
from ledger.webhooks import rules
from schemas.events import Channel, Detected, NewEvent, PolicyChanged, Resolved, Severity, SignalReceived
from schemas.webhooks import WebhookOut
from tests.test_rules import ACTOR, INCIDENT, NOW, given, m

NEW = uuid.UUID(int=0xBB)
KEY = "instagram:late-deliveries"
SIGNAL = Signal(
    actor=ACTOR,
    dedup_key=KEY,
    title="Spike in complaints",
    severity=Severity.SEV3,
    channel=Channel.INSTAGRAM,
    source_url="https://instagram.com/p/abc",
    summary="40 new comments in an hour",
    reach=5000,
)
OPEN_WITH_KEY = Detected(title="Spike in complaints", severity=Severity.SEV3, channel=Channel.INSTAGRAM, dedup_key=KEY)


# Signals: given what the store names as the open incident with the key (and its recorded events),
# when the signal comes, then the command it becomes, and what the decider records for it.


def test_given_no_open_incident_with_the_key_a_signal_detects_one() -> None:
    cmd = merge_or_detect(SIGNAL, None, NEW)
    assert cmd == Detect(
        incident_id=NEW,
        actor=ACTOR,
        title="Spike in complaints",
        severity=Severity.SEV3,
        channel=Channel.INSTAGRAM,
        source_url="https://instagram.com/p/abc",
        summary="40 new comments in an hour",
        reach=5000,
        dedup_key=KEY,
    )
    (event,) = decide(cmd, None, NOW)
    assert isinstance(event.data, Detected) and event.data.dedup_key == KEY


def test_given_an_open_incident_with_the_key_a_signal_adds_to_it() -> None:
    cmd = merge_or_detect(SIGNAL, INCIDENT, NEW)
    assert cmd == ReceiveSignal(
        incident_id=INCIDENT,
        actor=ACTOR,
        source_url="https://instagram.com/p/abc",
        reach=5000,
        summary="40 new comments in an hour",
    )
    assert decide(cmd, fold(given(OPEN_WITH_KEY)), NOW) == [
        NewEvent(
            data=SignalReceived(
                source_url="https://instagram.com/p/abc", reach=5000, summary="40 new comments in an hour"
            ),
            occurred_at=NOW,
            actor=ACTOR,
        )
    ]


def test_given_the_named_incident_was_resolved_meanwhile_the_addition_is_refused_and_routing_again_detects() -> None:
    recorded = given(OPEN_WITH_KEY, Resolved(summary="handled"))
    with pytest.raises(ActionNotAllowed):
        decide(merge_or_detect(SIGNAL, INCIDENT, NEW), fold(recorded), NOW)
    # (the store then names no open incident with the key)
    assert isinstance(merge_or_detect(SIGNAL, None, NEW), Detect)


def test_a_signal_keeps_its_occurred_at_either_way() -> None:
    at = m(30)
    late = msgspec.structs.replace(SIGNAL, occurred_at=at)
    assert merge_or_detect(late, None, NEW).occurred_at == at
    assert merge_or_detect(late, INCIDENT, NEW).occurred_at == at
    assert decide(merge_or_detect(late, INCIDENT, NEW), fold(given(OPEN_WITH_KEY)), NOW)[0].occurred_at == at


# The plan: given the version in force, when a document comes, then the policy_changed event.


def _plan(**changes: Any) -> dict[str, Any]:
    return policy_to_dict(DEFAULT_POLICY) | changes


def test_a_valid_document_becomes_the_next_version_with_its_actor_now() -> None:
    document = _plan(roles=[*DEFAULT_POLICY.roles, "translator"], version=99)
    (event,) = decide_policy(ChangePolicy(actor=ACTOR, document=document), 4, NOW)
    assert event.actor == ACTOR and event.occurred_at == NOW
    assert isinstance(event.data, PolicyChanged)
    assert event.data.version == 5  # (the document's own `version` is ignored)
    assert event.data.policy == document | {"version": 5}


def test_an_invalid_document_is_refused_with_every_problem() -> None:
    document = _plan(roles=["incident_lead"])
    with pytest.raises(InvalidValue) as info:
        decide_policy(ChangePolicy(actor=ACTOR, document=document), 0, NOW)
    messages = [e["message"] for e in info.value.extra["errors"]]
    assert len(messages) >= 2 and all("unknown role" in message for message in messages)
    assert info.value.detail.startswith("the policy is invalid: ")


@pytest.mark.parametrize("actor", ["", 7, "a\nb", "x" * 201])
def test_an_invalid_actor_is_refused(actor: Any) -> None:
    with pytest.raises(InvalidValue) as info:
        decide_policy(ChangePolicy(actor=actor, document=_plan()), 0, NOW)
    assert info.value.extra == {"field": "actor"}


# Webhook subscriptions.


def _subscription(enabled: bool) -> WebhookOut:
    return WebhookOut(
        id=uuid.UUID(int=1),
        url="https://hooks.example/in",
        event_types=["*"],
        enabled=enabled,
        format="standard",
        disabled_reason=None if enabled else rules.disabled_reason("admin-key"),
        next_position=1,
        failing_since=None,
        attempts=0,
        next_attempt_at=NOW if enabled else None,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW,
    )


def test_only_an_enabled_subscription_is_redelivered() -> None:
    rules.check_redeliverable(_subscription(enabled=True))
    with pytest.raises(WebhookDisabled) as info:
        rules.check_redeliverable(_subscription(enabled=False))
    assert info.value.kind == "webhook-disabled" and "PATCH with enabled: true" in info.value.detail


def test_disabling_by_hand_says_who() -> None:
    assert rules.disabled_reason("ops-admin") == "disabled by ops-admin"


def test_event_types_are_known_types_or_star_deduplicated_in_order() -> None:
    assert rules.event_types(None) is None
    assert rules.event_types(["replied", "detected", "replied"]) == ["replied", "detected"]
    assert rules.event_types(["replied", "*"]) == ["*"]
    assert "policy_changed" in rules.EVENT_TYPES
    with pytest.raises(InvalidValue) as info:
        rules.event_types(["replied", "exploded", "alien"])
    assert info.value.detail.startswith("unknown event type(s): alien, exploded;")
    assert info.value.extra == {"field": "event_types"}

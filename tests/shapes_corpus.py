"""Seeded random incident histories and policies, shared by the wire-shape tests (tests/test_shapes.py).

The same seed always gives the same events (ids included), so what the service renders for them
can be recorded once and compared after any change to how it is rendered."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from ledger.domain.plan import DEFAULT_POLICY, Policy, parse_policy, policy_to_dict
from schemas.events import (
    Acknowledged,
    Assigned,
    Channel,
    Detected,
    Event,
    EventData,
    Noted,
    Reopened,
    Replied,
    Resolved,
    Severity,
    SeverityChanged,
    Unassigned,
    Visibility,
)

# A Monday 09:30 in Istanbul: the business-hours calendar below opens and closes during the histories.
T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
ROLES = ("incident_lead", "social_responder", "communications", "legal", "executive_sponsor")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")


def business_hours_policy() -> Policy:
    """The default plan with some targets counted in office hours (one holiday), and no update
    target at sev2: every kind of target the blocks render."""
    doc = policy_to_dict(DEFAULT_POLICY)
    doc["calendars"] = {
        "office": {
            "timezone": "Europe/Istanbul",
            "weekly": {d: [["09:00", "12:30"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-03-04"],
        }
    }
    doc["severities"]["sev1"]["targets"]["resolve"] = {"seconds": 8 * 3600, "calendar": "office"}
    doc["severities"]["sev2"]["targets"]["first_response"] = {"seconds": 2 * 3600, "calendar": "office"}
    doc["severities"]["sev2"]["targets"]["update"] = None
    doc["severities"]["sev3"]["targets"]["update"] = {"seconds": 3 * 3600, "calendar": "office"}
    doc["severities"]["sev4"]["targets"]["acknowledge"] = None
    return parse_policy(doc, version=3)


def history(seed: int) -> tuple[list[Event], datetime]:
    """One incident's events in recorded order, and an instant to render them at. Some facts are
    backdated (recorded after later ones), some incidents resolve and reopen, severities change."""
    rng = random.Random(seed)
    incident_id = uuid.UUID(int=rng.getrandbits(128))
    at = T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
    datas: list[tuple[datetime, EventData]] = [
        (at, Detected(title=f"incident {seed}", severity=Severity(rng.choice(SEVERITIES)), channel=Channel.X))
    ]
    is_open, held = True, set[tuple[str, str]]()
    for _ in range(rng.randrange(0, 25)):
        at += timedelta(minutes=rng.choice((1, 3, 7, 20, 45, 90, 240, 900)))
        when = at - timedelta(minutes=rng.randrange(1, 120)) if rng.random() < 0.15 else at  # backdated
        when = max(when, datas[0][0])
        kinds = ["ack", "public", "private", "severity", "assign", "note"]
        kinds += ["unassign"] if held else []
        kinds += ["resolve"] if is_open else ["reopen", "reopen"]
        match rng.choice(kinds):
            case "ack":
                datas.append((when, Acknowledged()))
            case "public" | "private" as kind:
                visibility = Visibility.PUBLIC if kind == "public" else Visibility.PRIVATE
                datas.append((when, Replied(channel=Channel.X, text="We are on it.", visibility=visibility)))
            case "severity":
                datas.append((when, SeverityChanged(severity=Severity(rng.choice(SEVERITIES)))))
            case "assign":
                hold = (rng.choice(ROLES), rng.choice(("ayse", "mehmet", "zeynep")))
                held.add(hold)
                datas.append((when, Assigned(role=hold[0], assignee=hold[1])))
            case "unassign":
                hold = rng.choice(sorted(held))
                held.discard(hold)
                datas.append((when, Unassigned(role=hold[0], assignee=hold[1])))
            case "note":
                datas.append((when, Noted(text="noted")))
            case "resolve":
                is_open = False
                datas.append((when, Resolved(summary="fixed")))
            case "reopen":
                is_open = True
                datas.append((when, Reopened(reason="it's back")))
    now = at + timedelta(minutes=rng.choice((0, 5, 60, 600, 6000)))
    return [_event(rng, incident_id, v, when, data) for v, (when, data) in enumerate(datas, start=1)], now


def _event(rng: random.Random, incident_id: uuid.UUID, version: int, when: datetime, data: EventData) -> Event:
    return Event(
        id=uuid.UUID(int=rng.getrandbits(128)),
        tenant_id="tenant",
        incident_id=incident_id,
        version=version,
        position=version,
        occurred_at=when,
        recorded_at=when + timedelta(seconds=version),
        actor="ayse@brand.example",
        recorded_by="key",
        data=data,
        prev_hash="0" * 64,
        hash="f" * 64,
    )

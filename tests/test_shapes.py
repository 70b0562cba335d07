"""The typed read shapes put on the wire what the service answered before they were typed.

tests/golden/*.json hold the documents the service rendered for seeded random histories
(tests/shapes_corpus.py: every severity, escalations, resolutions and reopens, backdated facts,
a business-hours calendar) when `sla`, `coverage` and the policy were still built as dicts
(recorded at 5919fe7). Each is compared here, decoded, with what the Structs encode now, and the
policy endpoints' answers with the recorded policies. (The reports: tests/test_projections.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from litestar.serialization import encode_json

from ledger.domain.plan import DEFAULT_POLICY, Policy
from ledger.domain.rules import fold
from ledger.http.views import incident_out
from projections.incident_view import blocks
from schemas.api import IncidentOut
from schemas.blocks import CoverageBlock, SlaBlock
from tests.shapes_corpus import business_hours_policy, history

GOLDEN = Path(__file__).parent / "golden"


def wire(value: Any) -> Any:
    """What a client decodes: the body Litestar's encoder writes for `value`."""
    return json.loads(encode_json(value))


# Fields added to the shapes since the goldens were recorded: compared apart, the rest must be as recorded.
ADDED_TO_INCIDENTS = ("reach",)
ESCALATE_AT = {"sev1": None, "sev2": 1_000_000, "sev3": 250_000, "sev4": 50_000}


def recorded_part(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ADDED_TO_INCIDENTS}


def without_escalation(policy: dict[str, Any]) -> dict[str, Any]:
    """A policy document as recorded: before severities had `escalate_at_reach`."""
    severities = {
        sev: {k: v for k, v in plan.items() if k != "escalate_at_reach"} for sev, plan in policy["severities"].items()
    }
    return {**policy, "severities": severities}


def rendered(seed: int) -> IncidentOut:
    policy = DEFAULT_POLICY if seed % 2 else business_hours_policy()
    events, now = history(seed)
    incident = fold(events)
    assert incident is not None
    return incident_out(incident, blocks(events, policy, now))


def test_incidents_encode_as_the_dict_renderer_did() -> None:
    recorded = json.loads((GOLDEN / "incidents.json").read_text())
    assert len(recorded) == 60
    for seed, expected in enumerate(recorded):
        out = rendered(seed)
        assert isinstance(out.sla, SlaBlock) and isinstance(out.coverage, CoverageBlock)
        assert recorded_part(wire(out)) == expected, f"seed {seed}"
        assert list(recorded_part(wire(out))) == list(expected)  # and in the same key order
        assert set(wire(out)["reach"]) == {"first", "latest", "peak", "signals"}
        assert list(wire(out.sla)) == list(expected["sla"]) == ["acknowledge", "first_response", "update", "resolve"]


def test_the_corpus_covers_what_the_blocks_can_say() -> None:
    # (So that the comparison above is not vacuous: every status, null milestones, calendars, reopens.)
    recorded = json.loads((GOLDEN / "incidents.json").read_text())
    milestones = [m for doc in recorded for m in doc["sla"].values() if m is not None]
    assert {m["status"] for m in milestones} == {"pending", "met", "breached", "cancelled"}
    assert any(doc["sla"]["update"] is None for doc in recorded)
    assert any(doc["sla"]["acknowledge"] is None for doc in recorded)
    assert any(m["calendar"] == "office" for m in milestones)
    assert any(doc["first_resolved_at"] and doc["status"] == "open" for doc in recorded)  # reopened
    assert {doc["severity"] for doc in recorded} == {"sev1", "sev2", "sev3", "sev4"}
    assert any(doc["coverage"]["full_coverage_at"] for doc in recorded)
    assert any(doc["sla"]["update"] and doc["sla"]["update"]["unanswered_breaches"] for doc in recorded)


def test_a_hand_checked_sla_block() -> None:
    # Seed 3 (sev2, default plan): acknowledged 38.5 h late, resolved, reopened; its update
    # gaps were each within 4 h, but two gaps went unanswered past their due.
    out = rendered(3)
    assert out.sla is not None
    assert wire(out.sla.resolve) == {
        "target_seconds": 259200,
        "calendar": None,
        "due_at": "2026-03-07T09:00:00Z",
        "status": "breached",
        "met_at": None,
        "breached_at": "2026-03-07T09:00:00Z",
        "elapsed_seconds": None,
        "met_by_event_id": None,
    }
    update = wire(out.sla.update)
    assert update["gap_seconds"] == [14400, 14100] and update["gap_breached"] == [False, False]
    assert (update["gaps"], update["breaches"], update["unanswered_breaches"]) == (2, 2, 2)
    assert update["due_at"] == update["next_due_at"] == "2026-03-07T09:45:00Z"
    assert wire(out.coverage)["uncovered_seconds"] == {
        "incident_lead": 85080,
        "social_responder": 85260,
        "communications": 85080,
    }


def test_policies_encode_as_the_dict_renderer_did() -> None:
    recorded = json.loads((GOLDEN / "policies.json").read_text())
    policies: dict[str, Policy] = {"default": DEFAULT_POLICY, "business_hours": business_hours_policy()}
    for name, policy in policies.items():
        assert without_escalation(wire(policy)) == recorded[name], name
    assert {sev: p["escalate_at_reach"] for sev, p in wire(DEFAULT_POLICY)["severities"].items()} == ESCALATE_AT
    office = recorded["business_hours"]["calendars"]["office"]
    assert office["weekly"]["mon"] == [["09:00", "12:30"], ["13:30", "18:00"]]
    assert recorded["default"]["calendars"] == {} and recorded["default"]["version"] == 0
    assert recorded["default"]["severities"]["sev3"]["targets"]["update"] is None
    assert without_escalation(msgspec.json.decode(msgspec.json.encode(DEFAULT_POLICY))) == recorded["default"]


async def test_the_policy_endpoints_answer_the_recorded_documents(app_client, tenant) -> None:
    recorded = json.loads((GOLDEN / "policies.json").read_text())
    read = await app_client.get("/v1/policy", headers=tenant.auth("read"))
    assert read.status_code == 200 and without_escalation(read.json()) == recorded["default"]
    custom = {k: v for k, v in recorded["business_hours"].items() if k != "version"}
    put = await app_client.put("/v1/policy", json=custom, headers=tenant.auth("admin"))
    assert put.status_code == 200, put.text
    # (a plan without `escalate_at_reach` suggests no escalation: null at every severity)
    assert {p["escalate_at_reach"] for p in put.json()["severities"].values()} == {None}
    assert without_escalation(put.json()) == {**recorded["business_hours"], "version": 1}
    assert (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json() == put.json()
    (item,) = (await app_client.get("/v1/policy/history", headers=tenant.auth("read"))).json()["items"]
    assert item["policy"] == put.json()

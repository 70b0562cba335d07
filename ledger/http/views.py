"""Domain values → API Structs."""

from __future__ import annotations

from ledger.domain.rules import Incident
from projections import reach
from projections.incident_view import Blocks
from schemas.api import AssignmentOut, IncidentOut


def incident_out(incident: Incident, blocks: Blocks | None = None) -> IncidentOut:
    return IncidentOut(
        id=incident.id,
        version=incident.version,
        status=str(incident.status),
        severity=incident.severity,
        title=incident.title,
        scenario=incident.scenario,
        channel=incident.channel,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        first_response_at=incident.first_response_at,
        resolved_at=incident.resolved_at,
        first_resolved_at=incident.first_resolved_at,
        policy_version=incident.policy_version,
        dedup_key=incident.dedup_key,
        assignments=[
            AssignmentOut(role=a.role, assignee=a.assignee, since=a.since)
            for a in sorted(incident.assignments, key=lambda a: (a.role, a.since, a.assignee))
        ],
        reach=reach.block(incident.reach),
        sla=blocks.sla if blocks else None,
        coverage=blocks.coverage if blocks else None,
    )


def etag(version: int) -> str:
    return f'"{version}"'

"""Reviewing a draft reply before it is sent: the tenant's plan and the incident's severity, then
the pure review (ledger.domain.review). Writes nothing; recorded replies are reviewed by the rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from ledger.domain.review import RULES_VERSION, requires_approval, review
from ledger.service.incident_reads import IncidentReader
from ledger.service.review_queue import ReviewQueue
from ledger.store.policies import PolicyStore
from schemas.api import ReviewBody, ReviewOut


async def review_draft(
    policies: PolicyStore, reader: IncidentReader, reviews: ReviewQueue, tenant: str, body: ReviewBody, now: datetime
) -> ReviewOut:
    """The review a reply with this text would get if it were recorded now (on `incident_id`),
    judged back to back with the other drafts of this turn of the loop (`reviews`; a recorded
    reply is judged inside `decide`, not here)."""
    plan = await policies.in_force(tenant)
    severity = await _severity(reader, tenant, body.incident_id, now)
    found = await reviews.judged(
        partial(
            review,
            body.text,
            channel=str(body.channel),
            visibility=str(body.visibility),
            language=body.language,
            severity=severity,
            terms=plan.reply_review.terms,
            allow=plan.reply_review.allow,
        )
    )
    return ReviewOut(
        verdict=found.verdict,
        language=found.language,
        weighted_length=found.weighted_length,
        fits=found.fits,
        findings=found.findings,
        rules=RULES_VERSION,
        require_approval=requires_approval(
            found.verdict, str(body.visibility), plan.reply_review.require_approval_when_flagged
        ),
    )


async def _severity(reader: IncidentReader, tenant: str, incident_id: uuid.UUID | None, now: datetime) -> str | None:
    if incident_id is None:
        return None
    read = await reader.read(tenant, incident_id, now)  # (NotFound for another tenant's id, as anywhere)
    return str(read.incident.severity)

"""Reply review: how a draft reply reads before it is sent (read scope; writes nothing)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from ledger.clock import Clock
from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ_BODY
from ledger.service.incident_reads import IncidentReader
from ledger.service.reply_review import review_draft
from ledger.service.review_queue import ReviewQueue
from ledger.store.policies import PolicyStore
from schemas.api import ReviewBody, ReviewOut


@post(
    "/v1/replies/review",
    opt=READ,
    status_code=200,
    responses=ERRORS_READ_BODY,
    tags=["replies"],
    summary="Review a draft reply: findings with spans and reasons, language, X's weighted length",
)
async def review_reply(
    request: Request[Any, Any, Any],
    policies: NamedDependency[PolicyStore],
    queries: NamedDependency[IncidentReader],
    reviews: NamedDependency[ReviewQueue],
    clock: NamedDependency[Clock],
    data: JSONBody[ReviewBody],
) -> ReviewOut:
    """`verdict` is flagged when any finding is a problem; with `incident_id`, the advice takes its severity."""
    return await review_draft(policies, queries, reviews, principal_of(request).tenant, data, clock())

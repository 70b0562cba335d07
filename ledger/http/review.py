"""The post-incident review: Markdown by default, HTML by `Accept` (projections/postmortem.py writes it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger.clock import Clock
from ledger.http.auth import READ, principal_of
from ledger.http.negotiation import preferred
from ledger.http.openapi import ERRORS_READ, NOT_ACCEPTABLE, also_served_as
from ledger.http.problems import problem, zoned
from ledger.service.incident_reads import IncidentReader
from projections import postmortem

MARKDOWN = "text/markdown"
HTML = "text/html"


@get(
    "/v1/incidents/{incident_id:uuid}/review",
    opt=READ,
    media_type=f"{MARKDOWN}; charset=utf-8",
    responses={**ERRORS_READ, **NOT_ACCEPTABLE},
    operation_class=also_served_as(f"{HTML}; charset=utf-8"),
    tags=["incidents"],
    summary="The post-incident review (Markdown, or HTML by Accept)",
)
async def read_review(
    request: Request[Any, Any, Any],
    queries: NamedDependency[IncidentReader],
    clock: NamedDependency[Clock],
    incident_id: FromPath[uuid.UUID],
    as_of: Annotated[
        datetime | None,
        QueryParameter(description="The review as the ledger knew it then (by recorded_at; RFC 3339)"),
    ] = None,
) -> Response[str]:
    """Facts, SLA outcomes, coverage and its gaps, every public statement with its provenance and
    review, the decisions and the whole timeline. The same ledger gives the same document; an
    open incident's running clocks are measured at the time of the request."""
    media = preferred(request.headers.get("accept"), (MARKDOWN, HTML))
    if media is None:
        raise problem(406, "not-acceptable", "Not acceptable", f"this review is served as {MARKDOWN} or {HTML}")
    read = await queries.for_review(principal_of(request).tenant, incident_id, clock(), zoned(as_of, "as_of"))
    text = postmortem.review(read.events, read.policy, read.blocks, read.measured_at, read.as_of)
    if media == HTML:
        return Response(postmortem.to_html(text, read.title).encode(), media_type=f"{HTML}; charset=utf-8")
    return Response(text.encode(), media_type=f"{MARKDOWN}; charset=utf-8")

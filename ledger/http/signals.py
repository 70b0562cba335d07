"""Inbound signals from listening tools: more of an open incident's story, or a new incident.

Where a signal goes is ledger.domain.signal_routing.merge_or_detect; the shell (Shell.signal) asks the store
which incident is open with the key, atomically, so concurrent signals with one new key create
exactly one incident and the others become `signal_received` on it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from ledger.domain import commands as c
from ledger.http.auth import WRITE, principal_of
from ledger.http.headers import IdempotencyKey, idempotency_of
from ledger.http.openapi import ERRORS_WRITE
from ledger.http.views import etag, incident_out
from ledger.service.command_runner import Shell
from schemas.api import SignalBody, SignalOut


@post(
    "/v1/signals",
    opt=WRITE,
    status_code=201,
    responses={
        200: ResponseSpec(SignalOut, description="Added to the open incident with this dedup_key"),
        **ERRORS_WRITE,
    },
    tags=["incidents"],
    summary="A listening tool's signal: added to the open incident with its dedup_key (200), or detected (201)",
)
async def receive_signal(
    request: Request[Any, Any, Any],
    shell: NamedDependency[Shell],
    data: JSONBody[SignalBody],
    idempotency_key: IdempotencyKey = "",
) -> Response[SignalOut]:
    who = principal_of(request)
    signal = c.Signal(
        actor=data.actor or who.actor,
        occurred_at=data.occurred_at,
        dedup_key=data.dedup_key,
        title=data.title,
        severity=data.severity,
        channel=data.channel,
        scenario=data.scenario,
        source_url=data.source_url,
        summary=data.summary,
        reach=data.reach,
    )
    result = await shell.signal(who, signal, idempotency=await idempotency_of(request, idempotency_key, 201))
    incident = result.done.incident
    return Response(
        SignalOut(created=result.created, incident=incident_out(incident)),
        status_code=201 if result.created else 200,
        headers={"ETag": etag(incident.version), "Location": f"/v1/incidents/{incident.id}"},
    )

"""Inbound signals from listening tools: more of an open incident's story, or a new incident.

The decision "is there an open incident with this dedup_key?" is the store's, not ours: the
detection is attempted and the `incidents` table's unique index on open dedup keys refuses a
second one atomically, so concurrent signals with one new key create exactly one incident and
the others become `signal_received` on it. If that incident is resolved between the refusal and
our append, the next round detects anew.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from ledger.domain import commands as c
from ledger.domain.errors import ActionNotAllowed, NotFound
from ledger.http.auth import WRITE, principal_of
from ledger.http.incidents import IdempotencyKey, idempotency_of
from ledger.http.openapi import ERRORS_WRITE
from ledger.http.views import etag, incident_out
from ledger.service.command_runner import Deduplicated, Done, Shell
from schemas.api import SignalBody, SignalOut

ROUNDS = 5


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
    actor = data.actor or who.name
    detected = await idempotency_of(request, idempotency_key, 201)
    added = await idempotency_of(request, idempotency_key, 200)
    for _ in range(ROUNDS):
        detect = c.Detect(
            incident_id=uuid.uuid4(),
            actor=actor,
            occurred_at=data.occurred_at,
            title=data.title,
            severity=data.severity,
            channel=data.channel,
            scenario=data.scenario,
            source_url=data.source_url,
            summary=data.summary,
            reach=data.reach,
            dedup_key=data.dedup_key,
        )
        result: Done | Deduplicated = await shell.execute(who, detect, idempotency=detected)
        created = True
        if isinstance(result, Deduplicated):
            created = False
            signal = c.ReceiveSignal(
                incident_id=result.incident_id,
                actor=actor,
                occurred_at=data.occurred_at,
                source_url=data.source_url,
                reach=data.reach,
                summary=data.summary,
            )
            try:
                result = await shell.execute(who, signal, idempotency=added)
            except (ActionNotAllowed, NotFound):
                continue  # resolved (or gone) since the store named it: detect again
            assert isinstance(result, Done)
        if result.replayed:  # an earlier request with this Idempotency-Key: answer as it was answered
            created = result.status_code == 201
        return Response(
            SignalOut(created=created, incident=incident_out(result.incident)),
            status_code=201 if created else 200,
            headers={"ETag": etag(result.incident.version), "Location": f"/v1/incidents/{result.incident.id}"},
        )
    raise ActionNotAllowed("the incident with this dedup_key keeps changing state; try again")

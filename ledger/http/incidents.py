"""Incident endpoints: detect, the actions, reads and the incident's own history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from ledger.clock import Clock
from ledger.domain import commands as c
from ledger.http.auth import READ, WRITE, principal_of
from ledger.http.headers import IdempotencyKey, IfMatch, idempotency_of, parse_if_match
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.http.problems import problem, zoned
from ledger.http.views import etag, incident_out
from ledger.service.command_runner import Deduplicated, Done, Shell
from ledger.service.incident_reads import IncidentReader, ListFilter
from ledger.store.ids import new_id
from ledger.store.keys import Principal
from projections.renders import event_out
from schemas.api import (
    AcknowledgeBody,
    AssignBody,
    DetectBody,
    EventOut,
    IncidentOut,
    IncidentPage,
    NoteBody,
    ReopenBody,
    ReplyBody,
    ResolveBody,
    SeverityBody,
    UnassignBody,
)
from schemas.blocks import CoverageBlock, SlaBlock
from schemas.events import Channel, Severity


def _actor(who: Principal, body: Any) -> str:
    """The actor the body names, else the key's (its person's, for a personal key; the shell checks)."""
    return body.actor if body is not None and body.actor else who.actor


class IncidentController(Controller):
    path = "/v1/incidents"
    tags = ["incidents"]

    @post("/", opt=WRITE, status_code=201, responses=ERRORS_WRITE, summary="Detect an incident")
    async def detect(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        data: JSONBody[DetectBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[IncidentOut]:
        who = principal_of(request)
        cmd = c.Detect(
            incident_id=new_id(),
            actor=_actor(who, data),
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
        result = await shell.execute(
            who,
            cmd,
            if_match=parse_if_match(if_match),
            idempotency=await idempotency_of(request, idempotency_key),
        )
        done = _created(result)
        return Response(
            incident_out(done.incident),
            status_code=done.status_code,
            headers={"ETag": etag(done.incident.version), "Location": f"/v1/incidents/{done.incident.id}"},
        )

    @get("/", opt=READ, responses=ERRORS_READ, summary="List incidents")
    async def list_incidents(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[IncidentReader],
        clock: NamedDependency[Clock],
        status: Annotated[str | None, QueryParameter(pattern="^(open|resolved)$")] = None,
        severity: FromQuery[Severity | None] = None,
        scenario: Annotated[str | None, QueryParameter(max_length=64)] = None,
        channel: FromQuery[Channel | None] = None,
        breached: Annotated[bool | None, QueryParameter(description="Only incidents with a breached SLA")] = None,
        at_risk_within: Annotated[
            int | None,
            QueryParameter(ge=1, le=10_000_000, description="A milestone falls due within N seconds"),
        ] = None,
        missing_role: Annotated[str | None, QueryParameter(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")] = None,
        min_reach: Annotated[
            int | None,
            QueryParameter(
                ge=0,
                le=10**15,
                description="Only incidents whose peak reach is at least this",
                schema_extra={"minimum": 0},  # (Litestar leaves a bound of 0 out)
            ),
        ] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=18, pattern=r"^\d+$")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> IncidentPage:
        who = principal_of(request)
        flt = ListFilter(
            status=status,
            severity=severity,
            scenario=scenario,
            channel=channel,
            breached=breached,
            at_risk_within=at_risk_within,
            missing_role=missing_role,
            min_reach=min_reach,
        )
        reads, next_cursor = await queries.list(who.tenant, flt, int(cursor) if cursor else None, limit, clock())
        return IncidentPage(items=[incident_out(r.incident, r.blocks) for r in reads], next=next_cursor)

    @get("/{incident_id:uuid}", opt=READ, responses=ERRORS_READ, summary="Read an incident")
    async def read(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[IncidentReader],
        clock: NamedDependency[Clock],
        incident_id: FromPath[uuid.UUID],
        as_of: Annotated[
            datetime | None,
            QueryParameter(description="The incident as the ledger knew it then (by recorded_at; RFC 3339)"),
        ] = None,
    ) -> Response[IncidentOut]:
        tenant = principal_of(request).tenant
        if zoned(as_of, "as_of") is not None:
            read = await queries.read_as_of(tenant, incident_id, as_of)
        else:
            read = await queries.read(tenant, incident_id, clock())
        out = msgspec.structs.replace(
            incident_out(read.incident, read.blocks),
            statements=read.statements,
            statements_count=read.statements_count,
        )
        return Response(out, headers={"ETag": etag(read.incident.version)})

    @get("/{incident_id:uuid}/sla", opt=READ, responses=ERRORS_READ, summary="The incident's SLA block")
    async def read_sla(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[IncidentReader],
        clock: NamedDependency[Clock],
        incident_id: FromPath[uuid.UUID],
    ) -> SlaBlock:
        return (await queries.read(principal_of(request).tenant, incident_id, clock())).blocks.sla

    @get(
        "/{incident_id:uuid}/coverage",
        opt=READ,
        responses=ERRORS_READ,
        summary="The incident's role coverage",
    )
    async def read_coverage(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[IncidentReader],
        clock: NamedDependency[Clock],
        incident_id: FromPath[uuid.UUID],
    ) -> CoverageBlock:
        return (await queries.read(principal_of(request).tenant, incident_id, clock())).blocks.coverage

    # The actions: each appends one event and answers it (201, ETag = the new version).

    @post("/{incident_id:uuid}/acknowledge", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def acknowledge(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[AcknowledgeBody | None] = None,
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Acknowledge(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at if data else None,
            note=data.note if data else None,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/assignments", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[AssignBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Assign(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at,
            role=data.role,
            assignee=data.assignee,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @delete(
        "/{incident_id:uuid}/assignments/{role:str}/{assignee:str}",
        opt=WRITE,
        status_code=201,
        responses=ERRORS_WRITE,
    )
    async def unassign(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        role: FromPath[str],
        assignee: FromPath[str],
        data: JSONBody[UnassignBody | None] = None,
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Unassign(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at if data else None,
            role=role,
            assignee=assignee,
            reason=data.reason if data else None,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/replies", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def reply(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Reply(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at,
            channel=data.channel,
            text=data.text,
            visibility=data.visibility,
            in_reply_to=data.in_reply_to,
            url=data.url,
            approved_by=data.approved_by,
            drafted_by=data.drafted_by,
            language=data.language,
            template_id=data.template_id,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/severity", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def change_severity(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[SeverityBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.ChangeSeverity(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at,
            severity=data.severity,
            reason=data.reason,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/notes", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def note(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[NoteBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Note(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at,
            text=data.text,
            kind=data.kind,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/resolve", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Resolve(
            incident_id=incident_id,
            actor=_actor(who, data),
            occurred_at=data.occurred_at,
            summary=data.summary,
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)

    @post("/{incident_id:uuid}/reopen", opt=WRITE, status_code=201, responses=ERRORS_WRITE)
    async def reopen(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[ReopenBody],
        if_match: IfMatch = "",
        idempotency_key: IdempotencyKey = "",
    ) -> Response[EventOut]:
        who = principal_of(request)
        cmd = c.Reopen(
            incident_id=incident_id, actor=_actor(who, data), occurred_at=data.occurred_at, reason=data.reason
        )
        return await _act(request, shell, who, cmd, if_match, idempotency_key)


def _created(result: Done | Deduplicated) -> Done:
    if isinstance(result, Deduplicated):
        raise problem(
            409,
            "dedup-key-open",
            "An open incident already carries this dedup_key",
            f"incident {result.incident_id} is open with this dedup_key; add to it or POST /v1/signals",
            incident_id=str(result.incident_id),
        )
    return result


async def _act(
    request: Request[Any, Any, Any],
    shell: Shell,
    who: Principal,
    cmd: c.Command,
    if_match: str | None,
    idempotency_key: str | None,
) -> Response[EventOut]:
    result = _created(
        await shell.execute(
            who,
            cmd,
            if_match=parse_if_match(if_match),
            idempotency=await idempotency_of(request, idempotency_key),
        )
    )
    return Response(
        event_out(result.events[-1]),
        status_code=result.status_code,
        headers={"ETag": etag(result.incident.version)},
    )

"""Audit endpoints: verify the chain, signed checkpoints, the public key, the export, who did what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from ledger.audit import checkpoints
from ledger.audit import export as audit_export
from ledger.audit import verify as audit
from ledger.domain.errors import InvalidValue
from ledger.http.auth import ADMIN, READ, principal_of
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.http.problems import zoned
from ledger.store.audit import audit_events, checkpoints_before
from ledger.store.events import event_from_row
from projections.renders import event_out
from schemas.api import MAX_POSITION
from schemas.audit import AuditEventPage, CheckpointOut, CheckpointPage, PublicKeyOut, VerifyOut

Hash = Annotated[str | None, QueryParameter(pattern=r"^[0-9a-f]{64}$", description="The kept checkpoint's hash")]
Cursor = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,18}$", description="`next` of the previous page")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Since = Annotated[datetime | None, QueryParameter(description="recorded_at at or after (RFC 3339)")]
Until = Annotated[datetime | None, QueryParameter(description="recorded_at before (RFC 3339)")]
Who = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]

    @get(
        "/verify",
        opt=READ,
        responses={**ERRORS_READ, 422: ERRORS_WRITE[422]},
        summary="Recompute and check the tenant's whole chain",
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        signer: NamedDependency[checkpoints.Signer],
        position: Annotated[
            int | None, QueryParameter(gt=-1, le=MAX_POSITION, description="A kept checkpoint's position (with `hash`)")
        ] = None,
        hash: Hash = None,
    ) -> VerifyOut:
        """200 with `ok: false` and the first broken event when the chain does not verify. With a
        checkpoint you kept (`position` and `hash`), also shows that today's history extends it."""
        if (position is None) != (hash is None):
            raise InvalidValue("a kept checkpoint is given as both position and hash", field="position")
        expect = (position, hash) if position is not None and hash is not None else None
        pool: asyncpg.Pool = request.app.state.pool
        return await audit.verify_tenant(
            pool, principal_of(request).tenant, signer.public_key, expect=expect, trusted_keys=signer.trusted
        )

    @get("/public-key", opt=READ, responses=ERRORS_READ, summary="The Ed25519 key checkpoints are signed with")
    async def public_key(self, signer: NamedDependency[checkpoints.Signer]) -> PublicKeyOut:
        return PublicKeyOut(algorithm=checkpoints.ALGORITHM, public_key=signer.public_key, key_id=signer.key_id)

    @get("/checkpoints", opt=READ, responses=ERRORS_READ, summary="Signed checkpoints, newest first")
    async def list_checkpoints(
        self, request: Request[Any, Any, Any], cursor: Cursor = None, limit: Limit = 100
    ) -> CheckpointPage:
        tenant = principal_of(request).tenant
        rows = await checkpoints_before(request.app.state.pool, tenant, int(cursor) if cursor else 2**62, limit + 1)
        items = [checkpoints.checkpoint_out(r, tenant) for r in rows[:limit]]
        return CheckpointPage(items=items, next=str(items[-1].position) if len(rows) > limit else None)

    @post(
        "/checkpoints",
        opt=ADMIN,
        status_code=201,
        responses={200: ResponseSpec(CheckpointOut, description="The head was already signed"), **ERRORS_WRITE},
        summary="Sign the tenant's current head now",
    )
    async def create_checkpoint(
        self, request: Request[Any, Any, Any], signer: NamedDependency[checkpoints.Signer]
    ) -> Response[CheckpointOut]:
        cp, new = await checkpoints.checkpoint(request.app.state.pool, signer, principal_of(request).tenant)
        return Response(cp, status_code=201 if new else 200)

    @get(
        "/export",
        opt=READ,
        responses=ERRORS_READ,
        summary="NDJSON export of the events recorded in [since, until), with signed checkpoints",
        media_type="application/x-ndjson",
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        signer: NamedDependency[checkpoints.Signer],
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        tenant = principal_of(request).tenant
        since, until = zoned(since, "since"), zoned(until, "until")
        lines = audit_export.export(request.app.state.pool, signer, tenant, since, until)
        return Stream(
            lines,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="crisis-ledger-{tenant}.ndjson"'},
        )

    @get("/events", opt=READ, responses=ERRORS_READ, summary="Who did what: events across all incidents")
    async def events(
        self,
        request: Request[Any, Any, Any],
        actor: Who = None,
        recorded_by: Who = None,
        type: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z_]{0,63}$")] = None,
        since: Since = None,
        until: Until = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> AuditEventPage:
        rows = await audit_events(
            request.app.state.pool,
            principal_of(request).tenant,
            int(cursor) if cursor else 0,
            actor,
            recorded_by,
            type,
            zoned(since, "since"),
            zoned(until, "until"),
            limit + 1,
        )
        items = [event_out(event_from_row(r)) for r in rows[:limit]]
        return AuditEventPage(items=items, next=str(items[-1].position) if len(rows) > limit else None)

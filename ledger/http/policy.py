"""The emergency plan: read it, replace it (admin), its history, and try another on past incidents (what-if)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from ledger.clock import Clock
from ledger.config import Settings
from ledger.domain import commands as c
from ledger.domain.plan_changes import checked_plan
from ledger.http.auth import ADMIN, READ, principal_of
from ledger.http.headers import IF_MATCH_PATTERN, IdempotencyKey, idempotency_of, parse_if_match
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE, body_documented_as
from ledger.service.command_runner import Shell
from ledger.service.what_if import checked_window
from ledger.store.policies import PolicyStore
from projections.reports import ReportFilter
from projections.whatif import what_if_json
from schemas.api import PolicyChangeIn, PolicyHistoryPage, WhatIfBody, WhatIfOut
from schemas.policy import Policy

log = structlog.get_logger(__name__)


@get("/v1/policy", opt=READ, responses=ERRORS_READ, tags=["policy"], summary="The plan in force")
async def read_policy(request: Request[Any, Any, Any], policies: NamedDependency[PolicyStore]) -> Response[Policy]:
    """`ETag` is the version: send it back as `If-Match` to replace exactly this version."""
    policy = await policies.current(principal_of(request).tenant)
    return Response(policy, headers={"ETag": f'"{policy.version}"'})


PolicyIfMatch = Annotated[
    str,
    HeaderParameter(
        required=False,
        name="If-Match",
        description='Replace the plan only if it is at this version, e.g. "3" (else 412).',
        pattern=IF_MATCH_PATTERN,
    ),
]


@put(
    "/v1/policy",
    opt=ADMIN,
    responses=ERRORS_WRITE,
    tags=["policy"],
    summary="Replace the plan (answers it with its new version)",
    operation_class=body_documented_as(PolicyChangeIn),
)
async def replace_policy(
    request: Request[Any, Any, Any],
    shell: NamedDependency[Shell],
    # Documented as PolicyChangeIn, taken as a JSON object: the plan's strict parse decodes it in
    # decide_policy, after the Idempotency-Key and the actor, as it decodes the what-if's `policy`.
    # (Litestar converts a Struct body leniently, "300" for 300, and answers its own problem.)
    data: JSONBody[dict[str, Any]],
    if_match: PolicyIfMatch = "",
    idempotency_key: IdempotencyKey = "",
) -> Response[Policy]:
    """The body is a whole policy document (its `version` is ignored: the server assigns it), and
    may carry `actor` (who changed the plan; default: the key's person or name), which is not part of it."""
    who = principal_of(request)
    document = dict(data)
    actor = document.pop("actor", None)
    policy = await shell.change_policy(
        who,
        c.ChangePolicy(actor=who.actor if actor is None else actor, document=document),
        if_match=parse_if_match(if_match),
        idempotency=await idempotency_of(request, idempotency_key, 200),
    )
    return Response(policy, headers={"ETag": f'"{policy.version}"'})


@get("/v1/policy/history", opt=READ, responses=ERRORS_READ, tags=["policy"], summary="Every version")
async def policy_history(
    request: Request[Any, Any, Any],
    policies: NamedDependency[PolicyStore],
    cursor: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> PolicyHistoryPage:
    return await policies.history(principal_of(request).tenant, cursor, limit)


async def _ended_on_error(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks`, and a log line if they stop on an error: past the first byte no problem can be
    answered, the connection is cut short and the document left incomplete (invalid JSON)."""
    try:
        async for chunk in chunks:
            yield chunk
    except Exception:
        log.exception("what_if_stream_failed")
        raise


@post(
    "/v1/policy/what-if",
    opt=READ,
    status_code=200,
    responses={
        200: ResponseSpec(
            WhatIfOut,
            description="Streamed as it is measured: `changed` first, item by item, the reports at the end",
            generate_examples=False,
        ),
        **{k: v for k, v in ERRORS_WRITE.items() if k not in (409, 412)},
    },
    tags=["policy"],
    summary="Try a plan on past incidents (writes nothing)",
)
async def policy_what_if(
    request: Request[Any, Any, Any],
    policies: NamedDependency[PolicyStore],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
    data: JSONBody[WhatIfBody],
) -> Stream:
    """The incidents detected in [since, until) measured under the plans they were measured
    against (`current`, equal to GET /v1/reports/sla with the same filters) and under `policy`
    (`proposed`), with the milestones whose status would change. `policy` is refused exactly as
    PUT /v1/policy refuses it (422 `invalid-value`), and so is a window of more incidents than
    LEDGER_WHAT_IF_MAX_INCIDENTS. The answer is streamed (docs/sla-and-coverage.md)."""
    plan = checked_plan(data.policy, 0)
    tenant = principal_of(request).tenant
    state = request.app.state
    flt = ReportFilter(
        since=data.since,
        until=data.until,
        severity=str(data.severity) if data.severity else None,
        scenario=data.scenario,
        channel=str(data.channel) if data.channel else None,
    )
    await checked_window(state.pool, state.projections, state.folds, tenant, flt, settings.what_if_max_incidents)
    chunks = what_if_json(state.pool, policies, tenant, flt, plan, clock())
    return Stream(_ended_on_error(chunks), media_type="application/json")

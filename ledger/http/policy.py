"""The emergency plan: read it, replace it (admin), and its history."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from ledger.domain import commands as c
from ledger.http.auth import ADMIN, READ, principal_of
from ledger.http.incidents import IdempotencyKey, idempotency_of, parse_if_match
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.service.command_runner import Shell
from ledger.store.policies import POLICY_HISTORY, PolicyStore
from schemas.api import PolicyChangeOut, PolicyHistoryPage
from schemas.policy import Policy


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
        pattern=r'^(|\*|(W/)?"?[0-9]{1,9}"?)$',
    ),
]


@put(
    "/v1/policy",
    opt=ADMIN,
    responses=ERRORS_WRITE,
    tags=["policy"],
    summary="Replace the plan (answers it with its new version)",
)
async def replace_policy(
    request: Request[Any, Any, Any],
    shell: NamedDependency[Shell],
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
    shell: NamedDependency[Shell],
    policies: NamedDependency[PolicyStore],
    cursor: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> PolicyHistoryPage:
    tenant = principal_of(request).tenant
    rows = await shell.store.pool.fetch(POLICY_HISTORY, tenant, cursor, limit + 1)
    page = rows[:limit]
    items = []
    for r in page:
        policy = await policies.version(tenant, r["version"])
        items.append(
            PolicyChangeOut(
                version=r["version"],
                position=r["position"],
                changed_by=r["changed_by"],
                recorded_by=r["recorded_by"],
                changed_at=r["changed_at"],
                policy=policy,
            )
        )
    return PolicyHistoryPage(items=items, next=page[-1]["version"] if len(rows) > limit else None)

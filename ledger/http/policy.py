"""The emergency plan: read it, replace it (admin), and its history."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from ledger.http.auth import ADMIN, READ, principal_of
from ledger.http.incidents import IdempotencyKey, idempotency_of
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.service.command_runner import Shell
from ledger.store.policies import POLICY_HISTORY, PolicyStore, change_policy
from schemas.api import PolicyChangeOut, PolicyHistoryPage
from schemas.policy import Policy


@get("/v1/policy", opt=READ, responses=ERRORS_READ, tags=["policy"], summary="The plan in force")
async def read_policy(request: Request[Any, Any, Any], policies: NamedDependency[PolicyStore]) -> Policy:
    return await policies.current(principal_of(request).tenant)


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
    policies: NamedDependency[PolicyStore],
    data: JSONBody[dict[str, Any]],
    idempotency_key: IdempotencyKey = "",
) -> Response[Policy]:
    """The body is a whole policy document (its `version` is ignored: the server assigns it)."""
    policy = await change_policy(
        shell.store,
        policies,
        principal_of(request),
        await request.body(),
        shell.clock(),
        await idempotency_of(request, idempotency_key, 200),
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

"""Bearer keys: a guard authenticates and checks the route's scope; handlers receive the Principal."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from ledger.domain.errors import Forbidden, Unauthorized
from ledger.store.keys import Principal, Scope


async def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    principal = await connection.app.state.access.authenticate(token.strip())
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal


async def authorize(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Authenticate and check the scope a route asks for in its `opt` (READ, WRITE, ADMIN below).

    Run first thing for every request (the app's before_request), before the request is parsed.
    Not a Litestar guard: Litestar copies the route handler for every guard call.
    """
    needed: Scope | None = connection.route_handler.opt.get("scope")
    if needed is None:
        return  # a public route: health, metrics, the OpenAPI document
    principal = await _principal(connection)
    if principal.scope < needed:
        raise Forbidden(f"this needs the {needed.name.lower()} scope; the key has {principal.scope.name.lower()}")
    connection.scope[_PRINCIPAL] = principal  # type: ignore[literal-required]


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal: Principal = connection.scope[_PRINCIPAL]  # type: ignore[literal-required]
    return principal


# Where the principal is kept for the handler: a key of the request's own scope. (Not
# `connection.state`, which builds a new State object around the scope's dict at every access.)
_PRINCIPAL = "crisis_ledger.principal"


# A route's `opt`: the scope its key must have.
READ: dict[str, Any] = {"scope": Scope.READ}
WRITE: dict[str, Any] = {"scope": Scope.WRITE}
ADMIN: dict[str, Any] = {"scope": Scope.ADMIN}

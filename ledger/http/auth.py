"""Bearer keys: a guard authenticates and checks the route's scope; handlers receive the Principal."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ledger.errors import Forbidden, Unauthorized
from ledger.keys import Principal, Scope, authenticate


async def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    principal = await authenticate(connection.app.state.pool, token.strip(), connection.app.state.rate_limit)
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal


def require(scope: Scope) -> Any:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await _principal(connection)
        if principal.scope < scope:
            raise Forbidden(
                f"this needs the {scope.name.lower()} scope; the key has {principal.scope.name.lower()}"
            )
        connection.state.principal = principal

    guard.__name__ = f"require_{scope.name.lower()}"
    return guard


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal: Principal = connection.state.principal
    return principal


READ = require(Scope.READ)
WRITE = require(Scope.WRITE)
ADMIN = require(Scope.ADMIN)

"""Errors become RFC 9457 problems here, once, at the edge: the domain never imports HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException

from ledger.domain.errors import (
    ActionNotAllowed,
    Forbidden,
    IdempotencyKeyReused,
    InvalidValue,
    LedgerError,
    NotFound,
    RateLimited,
    ReplyFlagged,
    Unauthorized,
    Unavailable,
    VersionConflict,
    WebhookDisabled,
)

log = structlog.get_logger(__name__)

TYPE_BASE = "urn:crisis-ledger:problem:"

STATUS_OF: dict[type[LedgerError], int] = {
    NotFound: 404,
    ActionNotAllowed: 409,
    WebhookDisabled: 409,
    InvalidValue: 422,
    ReplyFlagged: 422,
    VersionConflict: 412,
    IdempotencyKeyReused: 422,
    Unauthorized: 401,
    Forbidden: 403,
    Unavailable: 503,
    RateLimited: 429,
}

# Litestar's own HTTP errors, by status: (kind, title).
HTTP_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Missing or invalid API key"),
    403: ("forbidden", "The API key's scope does not allow this"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
    431: ("headers-too-large", "Request headers too large"),
    503: ("unavailable", "Service temporarily unavailable"),
}


_RESERVED = frozenset({"type", "title", "status", "detail", "instance"})


def problem(status: int, kind: str, title: str, detail: str | None = None, **extra: Any) -> ProblemDetailsException:
    """A problem with a stable `type` per kind; extension members never shadow the standard ones."""
    members = {k: v for k, v in extra.items() if k not in _RESERVED}
    return ProblemDetailsException(
        status_code=status, type_=TYPE_BASE + kind, title=title, detail=detail or title, extra=members or None
    )


def zoned(value: datetime | None, name: str) -> datetime | None:
    """A time parameter as given, refused (400) without a time zone: naive times are ambiguous."""
    if value is not None and value.tzinfo is None:
        raise problem(400, "invalid-parameter", "A query, path or header parameter is invalid", f"{name} needs a zone")
    return value


def _ledger(exc: LedgerError) -> ProblemDetailsException:
    status = next(code for cls, code in STATUS_OF.items() if isinstance(exc, cls))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    p = problem(status, exc.kind, exc.title, exc.detail, **exc.extra)
    p.headers = headers
    return p


def _validation(exc: ValidationException) -> ProblemDetailsException:
    errors = exc.extra if isinstance(exc.extra, list) else []
    sources = {e.get("source") for e in errors if isinstance(e, dict)}
    if not errors:
        # Litestar raises this without details when the body is not JSON at all.
        return problem(400, "malformed-body", "The request body is not valid JSON", str(exc.detail))
    clean = [{"field": e.get("key"), "message": _message(e), "in": e.get("source")} for e in errors]
    if sources <= {"body"}:
        return problem(422, "validation-failed", "The request body is invalid", _summary(clean), errors=clean)
    return problem(
        400,
        "invalid-parameter",
        "A query, path or header parameter is invalid",
        _summary(clean),
        errors=clean,
    )


def _message(error: dict[str, Any]) -> Any:
    # Litestar reports a missing body as the KeyError text "'data'".
    if error.get("key") == "data" and error.get("message") == "'data'":
        return "a JSON body is required"
    return error.get("message")


def _summary(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)


def _http(exc: HTTPException) -> ProblemDetailsException:
    if exc.status_code >= 500:
        log.error("http_server_error", status=exc.status_code, detail=str(exc.detail), exc_info=exc)
    kind, title = HTTP_KINDS.get(exc.status_code, ("http-error", "HTTP error"))
    if exc.status_code == 400:
        # Litestar's plain 400s come from decoding the body (its validation errors have their own type).
        kind, title = "malformed-body", "The request body is not valid JSON"
    p = problem(exc.status_code, kind, title, str(exc.detail) if exc.detail else title)
    p.headers = exc.headers
    return p


# SQLSTATE classes that mean "the database is not there": 08 connection exception, 53 insufficient
# resources, 57 operator intervention (shutdown, crash recovery, "cannot connect now" while
# starting) — except 57014, a statement cancelled by `statement_timeout`: the database is there,
# it took too long.
_UNREACHABLE_CLASSES = frozenset({"08", "53", "57"})
_STATEMENT_TIMED_OUT = "57014"
_UNREACHABLE = "the database is not reachable; retry shortly"


def database_problem(exc: BaseException) -> ProblemDetailsException | None:
    """The problem a driver error answers, or None if `exc` is no database failure: the one place
    where asyncpg's errors are told apart (a timed-out statement is not an unreachable database)."""
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    if isinstance(exc, asyncpg.QueryCanceledError) or sqlstate == _STATEMENT_TIMED_OUT:
        log.warning("database_statement_timeout", error=type(exc).__name__)
        p = problem(503, "timeout", "The request took too long", "the database took too long to answer; retry shortly")
    elif _unreachable(exc, sqlstate):
        log.warning("database_unavailable", error=type(exc).__name__, sqlstate=sqlstate or None)
        p = problem(503, "unavailable", "Service temporarily unavailable", _UNREACHABLE)
    else:
        return None
    p.headers = {"Retry-After": "1"}
    return p


def _unreachable(exc: BaseException, sqlstate: str) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        return sqlstate[:2] in _UNREACHABLE_CLASSES or isinstance(exc, asyncpg.PostgresConnectionError)
    # (TimeoutError: connecting timed out, or the driver's own command_timeout, set past
    # statement_timeout, gave up on a server that stopped answering.)
    return isinstance(exc, (OSError, asyncpg.InterfaceError, TimeoutError))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Last resort: a database failure answers what it is (`database_problem`); anything else is
    logged with the request id and answers a problem without internals."""
    known = database_problem(exc)
    if known is not None:
        return known.to_response(request)
    log.exception("unhandled_error", error=type(exc).__name__)
    return problem(500, "internal", "Internal server error", "an unexpected error occurred").to_response(request)


def _undecodable(exc: Exception) -> ProblemDetailsException:
    """Bodies the JSON decoder gives up on: invalid UTF-8, absurd nesting."""
    why = "it is not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else "it is nested too deeply"
    return problem(400, "malformed-body", "The request body is not valid JSON", f"the body cannot be decoded: {why}")


CONFIG = ProblemDetailsConfig(
    exception_to_problem_detail_map={
        LedgerError: _ledger,
        ValidationException: _validation,
        HTTPException: _http,
        UnicodeDecodeError: _undecodable,
        RecursionError: _undecodable,
    }
)

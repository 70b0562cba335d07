"""Errors on the web pages are pages: the same problem the API would answer (status, title,
detail; ledger.http.problems maps them once), rendered as HTML instead of problem+json."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Template

from ledger.domain.errors import LedgerError
from ledger.http import problems
from ledger.http.web.session import maybe_session

log = structlog.get_logger(__name__)


class Problem(msgspec.Struct, frozen=True):
    """What a page says about a refusal: the API's problem, in short."""

    status: int
    title: str
    detail: str


def problem_of(exc: Exception) -> Problem:
    """The problem the API answers for `exc` (its status, title and detail)."""
    converted: ProblemDetailsException | None = None
    if isinstance(exc, ProblemDetailsException):
        converted = exc
    else:
        for cls in type(exc).__mro__:
            convert = problems.CONFIG.exception_to_problem_detail_map.get(cls)  # type: ignore[call-overload]
            if convert is not None:
                converted = convert(exc)
                break
    if converted is None:
        if isinstance(exc, msgspec.ValidationError):
            return Problem(422, "The form is invalid", str(exc))
        if isinstance(exc, msgspec.DecodeError):
            return Problem(400, "The request body is not valid JSON", str(exc))
        return Problem(500, "Internal server error", "an unexpected error occurred")
    return Problem(converted.status_code, converted.title or "Error", str(converted.detail))


TITLES = {401: "Sign in needed", 403: "Not allowed", 404: "Not found"}


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The exception handler of every web route."""
    found = problem_of(exc)
    if found.status >= 500:
        if isinstance(exc, LedgerError | HTTPException):
            log.warning("web_error", status=found.status, detail=found.detail)
        else:
            log.exception("web_unhandled_error", error=type(exc).__name__)
    session = maybe_session(request)
    return Template(
        template_name="error.html",
        context={
            "problem": found,
            "heading": TITLES.get(found.status, found.title),
            "session": session,
            "csrf": session.csrf_token if session else "",
        },
        status_code=found.status,
    )


HANDLERS: dict[Any, Any] = {
    cls: error_page
    for cls in (
        Exception,
        LedgerError,
        HTTPException,
        ProblemDetailsException,
        ValidationException,
        msgspec.DecodeError,
        UnicodeDecodeError,
        RecursionError,
    )
}

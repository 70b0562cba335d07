"""The plan page's what-if preview: what the edited plan would have done to the tenant's history,
before it is saved, and without saving anything.

The same what-if as `POST /v1/policy/what-if` (projections/whatif.py; the same plan checks, window
checks and cap: ledger/service/what_if.py), on the session instead of a bearer key, with the
CSRF token like every web POST. Read scope may preview, as the API allows; only admins save.

Two answers from one route. A plain form post (scripting off) measures the whole window and
renders the plan page with the result. The page's script asks for `application/x-ndjson` and gets
the result as it is measured, one JSON object a line, each carrying HTML rendered by the same
template (plan_preview.html): first the section with its progress bar (`total`), then per page of
incidents the progress (`done`) and the changed milestones' rows (`rows`), last the summary table
per severity and milestone (`summary`). A refusal before the first line is the problem as JSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import msgspec
import structlog
from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Stream, Template

from ledger.clock import Clock
from ledger.config import Settings
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.plan import Policy
from ledger.domain.plan_changes import checked_plan
from ledger.http.web.errors import problem_of
from ledger.http.web.plan import Window, default_window, plan_document, render_plan
from ledger.http.web.session import SEE, session_of
from ledger.service.what_if import checked_window
from ledger.store.incidents import titles
from ledger.store.policies import PolicyStore
from projections.reports import ReportFilter
from projections.whatif import WhatIf, measure
from schemas.api import WhatIfChange

log = structlog.get_logger(__name__)

# The page lists the first changes (by detection time) and counts the rest: a table of thousands
# of rows helps nobody decide, and the page stays light.
LISTED = 300
NDJSON = "application/x-ndjson"
_line = msgspec.json.Encoder()


# (The day after the last one bounds the window: the calendar's last day would have none.)
_DAYS = (date(1970, 1, 1), date(9998, 12, 31))


def _day(value: Any, field: str, default: date) -> date:
    if not value:
        return default
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None
    if not _DAYS[0] <= day <= _DAYS[1]:
        raise InvalidValue(f"{day} is outside the days a preview measures ({_DAYS[0]} to {_DAYS[1]})", field=field)
    return day


def _asked(form: Any, now: datetime) -> tuple[Window, Policy]:
    """The window and the proposed plan a preview form asks for; refused as the API refuses them."""
    default = default_window(now)
    window = Window(_day(form.get("since"), "since", default.first), _day(form.get("until"), "until", default.last))
    if window.first > window.last:
        raise InvalidValue("the first day must not be after the last day", field="since")
    return window, checked_plan(plan_document(str(form.get("document") or "")), 0)


@post("/plan/preview", opt=SEE, status_code=200)
async def preview_plan(
    request: Request[Any, Any, Any],
    policies: NamedDependency[PolicyStore],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> Template | Stream | Response[Any]:
    form = await request.form()
    text = str(form.get("document") or "")
    streamed = NDJSON in request.headers.get("accept", "")
    tenant, now, state = session_of(request).principal.tenant, clock(), request.app.state
    window = default_window(now)
    # (As on the rest of the page: a refusal is the problem shown, the draft kept; nothing written.)
    try:
        window, plan = _asked(form, now)
        flt = ReportFilter(since=window.since, until=window.until)
        total = await checked_window(
            state.pool, state.projections, state.folds, tenant, flt, settings.what_if_max_incidents
        )
    except (LedgerError, msgspec.DecodeError, ProblemDetailsException) as exc:
        found = problem_of(exc)
        if streamed:
            return Response(found, status_code=found.status)
        return await render_plan(request, policies, status=found.status, problem=found, draft=text, window=window)
    run = WhatIf(plan, now, limit=LISTED, by_severity={})
    pages = measure(run, state.pool, policies, tenant, flt)
    if streamed:
        return Stream(_lines(request, run, pages, tenant, total, window), media_type=NDJSON)
    changed = [change async for page in pages for change in page]
    current, proposed = run.severity_reports()
    preview = {
        "run": run,
        "total": total,
        "changed": changed,
        "titles": await titles(state.pool, tenant, [c.incident_id for c in changed]),
        "current": current,
        "proposed": proposed,
        "overall": run.result([]),
    }
    return await render_plan(request, policies, draft=text, window=window, preview=preview)


async def _lines(
    request: Request[Any, Any, Any],
    run: WhatIf,
    pages: AsyncIterator[list[WhatIfChange]],
    tenant: str,
    total: int,
    window: Window,
) -> AsyncIterator[bytes]:
    """The preview as NDJSON, written as it is measured (the module's docstring says what each line holds)."""
    macros = request.app.template_engine.get_template("plan_preview.html").module  # type: ignore[union-attr]
    pool = request.app.state.pool
    yield _line.encode({"total": total, "html": str(macros.section(total, window))}) + b"\n"
    try:
        async for changes in pages:
            named = await titles(pool, tenant, [c.incident_id for c in changes]) if changes else {}
            rows = str(macros.rows(changes, named)) if changes else ""
            yield _line.encode({"done": run.incidents, "total": total, "rows": rows}) + b"\n"
        current, proposed = run.severity_reports()
        summary = macros.summary(run, current, proposed, run.result([]))
        yield _line.encode({"done": run.incidents, "total": total, "summary": str(summary)}) + b"\n"
    except Exception:
        # Past the first line no problem can be answered: the page sees the stream end without a
        # summary and says the preview stopped.
        log.exception("plan_preview_failed")
        raise

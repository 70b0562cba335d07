"""The incident page and its actions.

Every action is a form that posts the version the page was rendered at; the route turns it into the
same command the API builds from the same body Struct (so the same limits apply) and runs it through
the same shell with that version as If-Match. A stale page is told so (412), never overwritten; a
refused action shows the problem's detail on the page, with what was typed kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from ledger.clock import Clock
from ledger.domain import commands as c
from ledger.domain.errors import InvalidValue, LedgerError, NotFound
from ledger.domain.rules import X_WEIGHTED_LIMIT, x_weighted_length
from ledger.http.web.errors import Problem, problem_of
from ledger.http.web.pages import page
from ledger.http.web.session import ACT, SEE, session_of
from ledger.service.command_runner import Shell
from ledger.service.incident_reads import IncidentReader
from ledger.service.incident_sheet import incident_sheet
from ledger.service.reply_review import review_draft
from ledger.service.review_queue import ReviewQueue
from ledger.store.policies import PolicyStore
from schemas import api
from schemas.api import Finding, ReviewBody
from schemas.events import DATA_TYPES, Channel, NoteKind, Severity, Visibility

Build = Callable[[uuid.UUID, str, Any], c.Command]

# action (the form's URL) → the API's body Struct for it, and how the API makes the command of it.
ACTIONS: dict[str, tuple[type[msgspec.Struct], Build]] = {
    "acknowledge": (api.AcknowledgeBody, lambda i, who, b: c.Acknowledge(incident_id=i, actor=who, note=b.note)),
    "assign": (
        api.AssignBody,
        lambda i, who, b: c.Assign(incident_id=i, actor=who, role=b.role, assignee=b.assignee),
    ),
    "unassign": (
        api.AssignBody,  # (the API takes role and assignee from the path; the form sends them as fields)
        lambda i, who, b: c.Unassign(incident_id=i, actor=who, role=b.role, assignee=b.assignee),
    ),
    "reply": (
        api.ReplyBody,
        lambda i, who, b: c.Reply(
            incident_id=i,
            actor=who,
            channel=b.channel,
            text=b.text,
            visibility=b.visibility,
            in_reply_to=b.in_reply_to,
            url=b.url,
            approved_by=b.approved_by,
            drafted_by=b.drafted_by,
            language=b.language,
            template_id=b.template_id,
        ),
    ),
    "severity": (
        api.SeverityBody,
        lambda i, who, b: c.ChangeSeverity(incident_id=i, actor=who, severity=b.severity, reason=b.reason),
    ),
    "note": (api.NoteBody, lambda i, who, b: c.Note(incident_id=i, actor=who, text=b.text, kind=b.kind)),
    "resolve": (api.ResolveBody, lambda i, who, b: c.Resolve(incident_id=i, actor=who, summary=b.summary)),
    "reopen": (api.ReopenBody, lambda i, who, b: c.Reopen(incident_id=i, actor=who, reason=b.reason)),
}
DONE = {
    "acknowledge": "Acknowledged.",
    "assign": "Assigned.",
    "unassign": "Removed from the role.",
    "reply": "Reply recorded.",
    "severity": "Severity changed.",
    "note": "Note added.",
    "resolve": "Resolved.",
    "reopen": "Reopened.",
}
_NOT_FIELDS = {"csrf", "version"}
# Every event type the incident page listens for on the live feed.
EVENT_TYPES = " ".join(DATA_TYPES)


async def _render(
    request: Request[Any, Any, Any],
    queries: IncidentReader,
    clock: Clock,
    incident_id: uuid.UUID,
    *,
    status: int = 200,
    problem: Problem | None = None,
    failed: str | None = None,
    kept: dict[str, str] | None = None,
) -> Template:
    sheet = await incident_sheet(queries, session_of(request).principal.tenant, incident_id, clock())
    return page(
        request,
        "incident.html",
        status=status,
        sheet=sheet,
        incident=sheet.read.incident,
        sla=sheet.read.blocks.sla,
        coverage=sheet.read.blocks.coverage,
        problem=problem,
        failed=failed,
        kept=kept or {},
        done=DONE.get(request.query_params.get("done", "")),
        severities=[s.value for s in Severity],
        channels=[ch.value for ch in Channel],
        visibilities=[v.value for v in Visibility],
        note_kinds=[k.value for k in NoteKind],
        x_limit=X_WEIGHTED_LIMIT,
        event_types=EVENT_TYPES,
    )


@get("/incidents/{incident_id:uuid}", opt=SEE)
async def incident_page(
    request: Request[Any, Any, Any],
    queries: NamedDependency[IncidentReader],
    clock: NamedDependency[Clock],
    incident_id: FromPath[uuid.UUID],
) -> Template:
    return await _render(request, queries, clock, incident_id)


def _fields(form: Any) -> dict[str, str]:
    """The form's fields as a body: an empty field is an absent one."""
    return {k: v.strip() if k != "text" else v for k, v in form.items() if isinstance(v, str) and k not in _NOT_FIELDS}


@post("/incidents/{incident_id:uuid}/actions/{action:str}", opt=ACT, status_code=303)
async def act(
    request: Request[Any, Any, Any],
    shell: NamedDependency[Shell],
    queries: NamedDependency[IncidentReader],
    clock: NamedDependency[Clock],
    incident_id: FromPath[uuid.UUID],
    action: FromPath[str],
) -> Redirect | Template:
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r}")
    body_type, build = ACTIONS[action]
    form = await request.form()
    fields = _fields(form)
    version = str(form.get("version") or "")
    who = session_of(request).principal
    # (The one try of the web routes: a refusal is not an error page but this page again, with the
    # problem's detail beside the form and what was typed kept.)
    try:
        if not version.isdigit():
            raise InvalidValue("the form did not say which version of the incident it was made on; reload the page")
        body = msgspec.convert({k: v for k, v in fields.items() if v}, body_type)
        await shell.execute(who, build(incident_id, who.actor, body), if_match=int(version))
    except (LedgerError, msgspec.ValidationError) as exc:
        found = problem_of(exc)
        return await _render(
            request, queries, clock, incident_id, status=found.status, problem=found, failed=action, kept=fields
        )
    return Redirect(path=f"/incidents/{incident_id}?done={action}", status_code=303)


class Draft(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    channel: Channel = Channel.X
    visibility: Visibility = Visibility.PUBLIC


class DraftCount(msgspec.Struct):
    weighted_length: int
    limit: int
    counted: bool  # X's limit applies (a public reply on X)
    over: bool
    # The reply review of the draft (as `POST /v1/replies/review` answers it), shown as you type.
    findings: list[Finding]
    require_approval: bool


@post("/incidents/{incident_id:uuid}/draft", opt=ACT, status_code=200)
async def count_draft(
    request: Request[Any, Any, Any],
    policies: NamedDependency[PolicyStore],
    queries: NamedDependency[IncidentReader],
    reviews: NamedDependency[ReviewQueue],
    clock: NamedDependency[Clock],
    incident_id: FromPath[uuid.UUID],
) -> Response[DraftCount]:
    """X's weighted length of a draft reply, as the rules count it, and the review's findings."""
    draft = msgspec.json.decode(await request.body(), type=Draft)
    length = x_weighted_length(draft.text)
    counted = draft.channel == Channel.X and draft.visibility == Visibility.PUBLIC
    over = counted and length > X_WEIGHTED_LIMIT
    reviewed = None
    if draft.text.strip():
        body = ReviewBody(text=draft.text, channel=draft.channel, visibility=draft.visibility, incident_id=incident_id)
        tenant = session_of(request).principal.tenant
        reviewed = await review_draft(policies, queries, reviews, tenant, body, clock())
    return Response(
        DraftCount(
            weighted_length=length,
            limit=X_WEIGHTED_LIMIT,
            counted=counted,
            over=over,
            findings=reviewed.findings if reviewed else [],
            require_approval=reviewed.require_approval if reviewed else False,
        )
    )

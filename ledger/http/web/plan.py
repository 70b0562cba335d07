"""The plan page: targets, roles, calendars and holding statements; admins edit the document, which
goes through the same policy change as `PUT /v1/policy` (If-Match on the version shown)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from ledger.domain import commands as c
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.plan import METRICS, SEVERITIES, policy_to_dict
from ledger.http import bodies
from ledger.http.web.errors import Problem, problem_of
from ledger.http.web.pages import page
from ledger.http.web.session import ADMINISTER, SEE, session_of
from ledger.service.command_runner import Shell
from ledger.service.incident_sheet import holding_statements
from ledger.store.policies import PolicyStore

_pretty = msgspec.json.Encoder()
# The preview's window when the form does not say: the last 90 days (UTC), today included.
DEFAULT_DAYS = 90


class Window(msgspec.Struct, frozen=True):
    """The incidents a preview measures: detected from `first` to `last` (UTC dates, both included)."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


def default_window(now: datetime) -> Window:
    today = now.astimezone(UTC).date()
    return Window(today - timedelta(days=DEFAULT_DAYS - 1), today)


def _document(policy: Any) -> str:
    """The document an admin edits: the plan as the API answers it, without the server's version."""
    doc = policy_to_dict(policy)
    doc.pop("version", None)
    return msgspec.json.format(_pretty.encode(doc), indent=2).decode()


def plan_document(text: str) -> dict[str, Any]:
    """The plan a form's document field holds, refused as the API refuses a body: not JSON (400), a
    key twice in one object (400: the decoder would keep the last without a word), not an object."""
    bodies.no_repeated_keys(text.encode())
    document = msgspec.json.decode(text)
    if not isinstance(document, dict):
        raise InvalidValue("the plan must be a JSON object")
    return document


async def render_plan(
    request: Request[Any, Any, Any],
    policies: PolicyStore,
    *,
    status: int = 200,
    problem: Problem | None = None,
    draft: str | None = None,
    window: Window | None = None,
    preview: dict[str, Any] | None = None,
) -> Template:
    """The plan page; with a refusal (`problem`), the editor's `draft`, a preview's `window` and result."""
    policy = await policies.current(session_of(request).principal.tenant)
    return page(
        request,
        "plan.html",
        status=status,
        policy=policy,
        severities=SEVERITIES,
        metrics=METRICS,
        holding=holding_statements(policy),
        document=draft if draft is not None else _document(policy),
        problem=problem,
        saved=request.query_params.get("saved") == "1",
        window=window or default_window(request.app.state.clock()),
        preview=preview,
    )


@get("/plan", opt=SEE)
async def plan_page(request: Request[Any, Any, Any], policies: NamedDependency[PolicyStore]) -> Template:
    return await render_plan(request, policies)


@post("/plan", opt=ADMINISTER, status_code=303)
async def change_plan(
    request: Request[Any, Any, Any], shell: NamedDependency[Shell], policies: NamedDependency[PolicyStore]
) -> Redirect | Template:
    form = await request.form()
    text, version = str(form.get("document") or ""), str(form.get("version") or "")
    who = session_of(request).principal
    # (As on the incident page: a refusal is this page again with the problem and the draft kept.)
    try:
        if not version.isdigit():
            raise InvalidValue("the form did not say which version of the plan it was made on; reload the page")
        document = plan_document(text)
        await shell.change_policy(who, c.ChangePolicy(actor=who.actor, document=document), if_match=int(version))
    except (LedgerError, msgspec.DecodeError, ProblemDetailsException) as exc:
        found = problem_of(exc)
        return await render_plan(request, policies, status=found.status, problem=found, draft=text)
    return Redirect(path="/plan?saved=1", status_code=303)

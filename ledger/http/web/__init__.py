"""The crisis room: the web pages people use in a crisis, served by the API's own process at `/`.

Rendered on the server (Jinja2 templates), with one small script for what must be live: the SLA
clocks, the board following the feed, the composer's counter (docs/crisis-room.md says why).
Every route here is outside the OpenAPI document and authenticated by the session cookie, never
by a bearer key; the API under /v1 never accepts the cookie.
"""

from __future__ import annotations

from litestar import Router
from litestar.static_files import create_static_files_router

from ledger.http.web import board, incident, plan, plan_preview, reports, session
from ledger.http.web.errors import HANDLERS
from ledger.http.web.pages import STATIC, template_config

__all__ = ["STATIC", "router", "static_router", "template_config"]


def router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            session.login_page,
            session.sign_in,
            session.sign_out,
            board.board_page,
            board.board_rows,
            board.live,
            incident.incident_page,
            incident.act,
            incident.count_draft,
            reports.reports_page,
            reports.sla_csv,
            reports.coverage_csv,
            plan.plan_page,
            plan.change_plan,
            plan_preview.preview_plan,
        ],
        before_request=session.check,
        exception_handlers=HANDLERS,
        include_in_schema=False,
    )


def static_router() -> Router:
    # (The assets are pinned by the package: a new release is a new file, so a day's caching is safe.)
    return create_static_files_router(path="/static", directories=[STATIC], cache_control=None, name="web-static")

"""Rendering a page: every template gets who is looking, their CSRF token and the SLA warning window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.response import Template
from litestar.template.config import TemplateConfig

from ledger.http.web import present
from ledger.http.web.session import scope_name, session_of
from ledger.store.keys import Scope

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _engine_setup(engine: Any) -> None:
    environment = engine.engine
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    environment.filters.update(present.FILTERS)
    environment.globals.update(present.GLOBALS)


def template_config() -> TemplateConfig[Any]:
    from litestar.plugins.jinja import JinjaTemplateEngine

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_engine_setup)


def page(request: Request[Any, Any, Any], template: str, status: int = 200, **context: Any) -> Template:
    session = session_of(request)
    scope = session.principal.scope
    return Template(
        template_name=template,
        status_code=status,
        context={
            "session": session,
            "csrf": session.csrf_token,
            "who": session.principal.actor,
            "scope": scope_name(session),
            "can_act": scope >= Scope.WRITE,
            "is_admin": scope >= Scope.ADMIN,
            "warning_seconds": request.app.state.settings.sla_warning_seconds,
            "now": request.app.state.clock(),
            "path": request.url.path,
            **context,
        },
    )

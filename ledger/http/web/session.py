"""Who is looking: the session cookie and the CSRF token, checked before every web route runs.

Every web route names in its `opt` the scope its page needs (`SEE`, `ACT`, `ADMINISTER`); a route
without one is public (the sign-in page). The check (the web router's `before_request`, in place of
the API's bearer check) finds the session (ledger.service.web_sessions), refuses a POST whose CSRF
token is missing or wrong, and then the scope. A GET without a session is sent to the sign-in
page; anything else without one is refused (403): a cookie-less POST is a forgery, not a visitor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from ledger.domain.errors import Forbidden, Unauthorized
from ledger.service import web_sessions
from ledger.service.web_sessions import WebSession
from ledger.store.keys import Scope

COOKIE = "ledger_session"
# Before sign-in there is no session to hold a CSRF token: the sign-in form's token is a cookie of
# its own, which the form must repeat (double submit). A cross-site page can do neither.
LOGIN_COOKIE = "ledger_login"
_SESSION = "crisis_ledger.web_session"

SEE: dict[str, Any] = {"web": Scope.READ}
ACT: dict[str, Any] = {"web": Scope.WRITE}
ADMINISTER: dict[str, Any] = {"web": Scope.ADMIN}
LIVE: dict[str, Any] = {"web": Scope.READ, "stream": True}


def _secure(request: Request[Any, Any, Any]) -> bool:
    """Served over https (directly, or behind a proxy that says so): the cookie is Secure then."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE, value=value, path="/", httponly=True, samesite="strict", secure=_secure(request), max_age=max_age
    )


async def presented_csrf(request: Request[Any, Any, Any]) -> str | None:
    """The token a POST carries: the `X-CSRF-Token` header (scripts) or the form's `csrf` field."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.content_type[0] != "application/x-www-form-urlencoded":
        return None
    value = (await request.form()).get("csrf")
    return value if isinstance(value, str) else None


async def check(request: Request[Any, Any, Any]) -> Redirect | None:
    """The web routes' before_request: session, CSRF on POST, scope. Raises Forbidden or redirects."""
    needed: Scope | None = request.route_handler.opt.get("web")
    if needed is None:
        return None
    state = request.app.state
    session = await web_sessions.resume(state.pool, request.cookies.get(COOKIE), state.clock())
    if session is None:
        if request.method == "GET" and not request.route_handler.opt.get("stream"):
            return Redirect(path="/login", status_code=303)
        if request.method == "GET":
            raise Unauthorized("sign in first: the live view needs a session")
        raise Forbidden("this form was not sent from a signed-in page of this site")
    if request.method != "GET" and not web_sessions.csrf_ok(session, await presented_csrf(request)):
        raise Forbidden("the form's security token is missing or wrong: reload the page and try again")
    if session.principal.scope < needed:
        raise Forbidden(f"this needs the {needed.name.lower()} scope; you signed in with a {scope_name(session)} key")
    request.scope[_SESSION] = session  # type: ignore[literal-required]
    return None


def session_of(request: Request[Any, Any, Any]) -> WebSession:
    session: WebSession = request.scope[_SESSION]  # type: ignore[literal-required]
    return session


def maybe_session(request: Request[Any, Any, Any]) -> WebSession | None:
    return request.scope.get(_SESSION)  # type: ignore[return-value]


def scope_name(session: WebSession) -> str:
    return session.principal.scope.name.lower()


# -- signing in and out ----------------------------------------------------------------------------


def _login_page(request: Request[Any, Any, Any], error: str | None = None, status: int = 200) -> Template:
    token = web_sessions.new_token()
    return Template(
        template_name="login.html",
        context={"csrf": token, "error": error, "session": None},
        status_code=status,
        cookies=[
            Cookie(
                key=LOGIN_COOKIE,
                value=token,
                path="/login",
                httponly=True,
                samesite="strict",
                secure=_secure(request),
                max_age=3600,
            )
        ],
    )


@get("/login", name="web-login")
async def login_page(request: Request[Any, Any, Any]) -> Template:
    return _login_page(request)


@post("/login", status_code=303)
async def sign_in(request: Request[Any, Any, Any]) -> Redirect | Template:
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    if not expected or not web_sessions.tokens_match(expected, str(form.get("csrf") or "")):
        raise Forbidden("the sign-in form's security token is missing or wrong: reload the sign-in page")
    state = request.app.state
    minutes = state.settings.web_session_minutes
    session = await web_sessions.sign_in(
        state.pool, str(form.get("api_key") or ""), state.clock(), timedelta(minutes=minutes)
    )
    if session is None:
        return _login_page(request, "That API key is unknown or revoked.", status=401)
    return Redirect(
        path="/",
        status_code=303,
        cookies=[
            session_cookie(request, session.cookie, minutes * 60),
            Cookie(key=LOGIN_COOKIE, value="", path="/login", max_age=0, httponly=True, samesite="strict"),
        ],
    )


@post("/logout", opt=SEE, status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    await web_sessions.sign_out(request.app.state.pool, session_of(request).cookie)
    return Redirect(path="/login", status_code=303, cookies=[session_cookie(request, "", 0)])

"""The board: the open incidents, most urgent first, kept live from the tenant's feed."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import Response, Stream, Template
from markupsafe import Markup

from ledger.clock import Clock
from ledger.config import Settings
from ledger.feed.notifier import Notifier
from ledger.http.sse import Outbox, PacedStream
from ledger.http.stream import follow, start_position, watched
from ledger.http.web.pages import page
from ledger.http.web.session import COOKIE, LIVE, SEE, session_of
from ledger.service import web_sessions
from ledger.service.access import Revocations
from ledger.service.board import BoardRow, board_row, open_board
from ledger.service.incident_reads import IncidentReader
from ledger.service.web_sessions import WebSession
from ledger.store.events import EventStore
from schemas.api import MAX_POSITION
from schemas.events import DATA_TYPES

# An open live view asks again this often whether its session still holds (its key not revoked,
# not expired, not signed out); it asks when it next sends, so at the latest with the heartbeat.
RECHECK_S = 5.0

# The live view listens for every event type the feed names (EventSource hands a named event only
# to a listener of its name).
EVENT_TYPES = " ".join(DATA_TYPES)


@get("/", opt=SEE)
async def board_page(
    request: Request[Any, Any, Any], queries: NamedDependency[IncidentReader], clock: NamedDependency[Clock]
) -> Template:
    tenant, now = session_of(request).principal.tenant, clock()
    board = await open_board(queries, tenant, now)
    return page(
        request, "board.html", board=board, rows=_markup(request, tenant, board.rows, now), event_types=EVENT_TYPES
    )


@get("/board/rows", opt=SEE)
async def board_rows(
    request: Request[Any, Any, Any], queries: NamedDependency[IncidentReader], clock: NamedDependency[Clock]
) -> Template:
    """The board's rows alone: what the live board fetches when the feed says something happened."""
    tenant, now = session_of(request).principal.tenant, clock()
    board = await open_board(queries, tenant, now)
    return page(request, "board_rows.html", rows=_markup(request, tenant, board.rows, now))


@get("/board/rows/{incident_id:uuid}", opt=SEE)
async def board_one_row(
    request: Request[Any, Any, Any],
    queries: NamedDependency[IncidentReader],
    clock: NamedDependency[Clock],
    incident_id: FromPath[uuid.UUID],
) -> Template | Response[None]:
    """One incident's row: what the live board fetches for an event of that incident. 204 once it
    is resolved (the board drops its row); 404 for another tenant's id, as the API answers it."""
    tenant, now = session_of(request).principal.tenant, clock()
    row = await board_row(queries, tenant, incident_id, now)
    if row is None:
        return Response(None, status_code=204)
    return page(request, "board_rows.html", rows=_markup(request, tenant, [row], now))


def _markup(request: Request[Any, Any, Any], tenant: str, rows: list[BoardRow], now: datetime) -> Markup:
    """The rows drawn at `now`, from the frames the process keeps of their incident versions."""
    state = request.app.state
    return state.board_markup.rows(tenant, rows, now, state.settings.sla_warning_seconds)


@get("/live", opt=LIVE)
async def live(
    request: Request[Any, Any, Any],
    store: NamedDependency[EventStore],
    notifier: NamedDependency[Notifier],
    settings: NamedDependency[Settings],
    revocations: NamedDependency[Revocations],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] = 0,
    last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID", max_length=64)] = None,
) -> Stream:
    """The tenant's feed for the pages, as the API's live feed sends it, on the session's cookie
    (a browser's EventSource cannot send a bearer header)."""
    start = start_position(after, last_event_id)  # (the API feed's: a position, or a 400)
    principal = session_of(request).principal
    # The API's live feed's budget and drop; its key's revocation ends it within 2 s (the session
    # check below catches a sign-out or an expiry).
    box = Outbox(settings.stream_buffer_bytes, settings.stream_max_lag_s, sent=start)
    state = request.app.state
    frames = follow(
        store,
        notifier,
        principal.tenant,
        start,
        heartbeat_s=settings.stream_heartbeat_s,
        poll_s=settings.stream_poll_s,
        outbox=box,
        fanout=state.fanout,  # (the reads and frames the process's API feeds share)
    )
    signed_in = _while_signed_in(
        frames,
        lambda: web_sessions.resume(state.pool, request.cookies.get(COOKIE), state.clock()),
        min(RECHECK_S, settings.stream_heartbeat_s),
    )
    return PacedStream(
        watched(signed_in, revocations, principal.key_hash, box),
        outbox=box,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _while_signed_in(
    frames: AsyncIterator[bytes], still: Callable[[], Awaitable[WebSession | None]], every_s: float
) -> AsyncIterator[bytes]:
    """The frames, until the session ends: a revoked key's open board stops receiving the feed."""
    checked = time.monotonic()
    async with aclosing(frames):  # type: ignore[type-var]
        async for chunk in frames:
            if time.monotonic() - checked >= every_s:
                if await still() is None:
                    return
                checked = time.monotonic()
            yield chunk

"""The board's rows drawn from kept frames (ledger/http/web/board_markup.py): a frame kept from an
earlier render draws the row exactly as a fresh one would at any later instant (its clocks' states
and time left, its age and place follow the instant), a new version of an incident is drawn anew,
and the frames kept are bounded."""

from __future__ import annotations

from datetime import timedelta

import httpx

from ledger.http.web.board_markup import EMPTY, BoardMarkup
from ledger.service.board import open_board
from tests import clock
from tests.conftest import Tenant, detect_body


async def _detect(client: httpx.AsyncClient, tenant: Tenant, **overrides) -> dict:
    r = await client.post("/v1/incidents", json=detect_body(**overrides), headers=tenant.auth())
    assert r.status_code == 201, r.text
    return r.json()


async def test_kept_frames_draw_the_rows_a_fresh_render_draws_at_later_instants(app_client, tenant):
    state = app_client._transport.app.state
    warning = state.settings.sla_warning_seconds
    first = await _detect(app_client, tenant, title="Charger <thread> & co", severity="sev1")
    await _detect(app_client, tenant, title="Quiet one", severity="sev4", reach=900)
    r = await app_client.post(f"/v1/incidents/{first['id']}/acknowledge", json={}, headers=tenant.auth())
    assert r.status_code == 201, r.text
    kept = BoardMarkup()
    start = clock.now()
    board = await open_board(state.queries, tenant.name, start)
    drawn = str(kept.rows(tenant.name, board.rows, start, warning))
    assert "Charger &lt;thread&gt; &amp; co" in drawn and "acknowledged" in drawn
    for later in (timedelta(minutes=10), timedelta(hours=5), timedelta(days=3)):
        now = start + later
        board = await open_board(state.queries, tenant.name, now)
        again = str(kept.rows(tenant.name, board.rows, now, warning))
        assert again == str(BoardMarkup().rows(tenant.name, board.rows, now, warning))
    # Three days on, the first incident's clocks have run out: the kept frames draw them breached.
    assert 'data-state="breached" data-status="breached"' in again and "overdue" in again
    assert again != drawn


async def test_a_new_version_is_drawn_anew_and_the_frames_kept_are_bounded(app_client, tenant):
    state = app_client._transport.app.state
    warning = state.settings.sla_warning_seconds
    incident = await _detect(app_client, tenant, title="Reach climbing", reach=1_000)
    kept = BoardMarkup(size=1)
    now = clock.now()
    board = await open_board(state.queries, tenant.name, now)
    assert "1k" in str(kept.rows(tenant.name, board.rows, now, warning))
    r = await app_client.post(
        f"/v1/incidents/{incident['id']}/assignments",
        json={"role": "incident_lead", "assignee": "ana"},
        headers=tenant.auth(),
    )
    assert r.status_code == 201, r.text
    board = await open_board(state.queries, tenant.name, now)
    drawn = str(kept.rows(tenant.name, board.rows, now, warning))
    assert f'data-version="{incident["version"] + 1}"' in drawn
    assert drawn == str(BoardMarkup().rows(tenant.name, board.rows, now, warning))
    assert len(kept) == 1
    assert kept.rows(tenant.name, [], now, warning) == EMPTY

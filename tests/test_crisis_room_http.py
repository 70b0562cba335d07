"""The crisis room over HTTP, without a browser: sessions, CSRF, scopes, the pages' contents, the
same write path as the API, CSV downloads. (The browser tests: tests/test_crisis_room_browser.py.)"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
import pytest

from ledger.service import web_sessions
from ledger.store.keys import revoke_key
from tests import clock
from tests.conftest import Tenant, detect_body, new_tenant

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


async def sign_in(client: httpx.AsyncClient, key: str) -> str:
    """Sign in through the form; answers the session's CSRF token (from the board's sign-out form)."""
    client.cookies.clear()
    page = await client.get("/login")
    assert page.status_code == 200
    token = _CSRF.search(page.text).group(1)
    signed = await client.post("/login", data={"api_key": key, "csrf": token})
    assert signed.status_code == 303 and signed.headers["location"] == "/", signed.text
    board = await client.get("/")
    assert board.status_code == 200
    return _CSRF.search(board.text).group(1)


async def detect(client: httpx.AsyncClient, tenant: Tenant, **overrides) -> dict:
    r = await client.post("/v1/incidents", json=detect_body(**overrides), headers=tenant.auth())
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
async def web(app_client: httpx.AsyncClient, tenant: Tenant) -> httpx.AsyncClient:
    app_client.cookies.clear()
    return app_client


async def test_sign_in_sets_a_strict_http_only_cookie_and_the_board_lists_open_incidents(web, tenant):
    page = await web.get("/login")
    assert 'for="api-key">API key<' in page.text and ">Sign in<" in page.text
    login_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in login_cookie and "samesite=strict" in login_cookie.lower()
    token = _CSRF.search(page.text).group(1)
    signed = await web.post("/login", data={"api_key": tenant.keys["write"], "csrf": token})
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("ledger_session="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/;" in cookie
    assert "Secure" not in cookie  # (plain http here; over https it is Secure)
    assert "Max-Age=43200" in cookie
    incident = await detect(web, tenant, title="Charger thread on the board", reach=120000)
    board = await web.get("/")
    assert board.status_code == 200
    assert f'<a href="/incidents/{incident["id"]}">Charger thread on the board</a>' in board.text
    assert "120k" in board.text and "Sign out" in board.text


async def test_the_session_id_is_stored_only_as_its_hash(web, tenant, pool):
    await sign_in(web, tenant.keys["read"])
    cookie = web.cookies["ledger_session"]
    tenant_part, _, session_id = cookie.partition(".")
    assert tenant_part == tenant.name
    rows = await pool.fetch("SELECT id_hash, key_name, scope FROM web_sessions WHERE tenant_id = $1", tenant.name)
    assert [(r["key_name"], r["scope"]) for r in rows] == [("read-key", "read")]
    assert session_id.encode() not in bytes(rows[0]["id_hash"])


async def test_a_wrong_key_is_refused_on_the_page(web):
    page = await web.get("/login")
    token = _CSRF.search(page.text).group(1)
    refused = await web.post("/login", data={"api_key": "clk_nope", "csrf": token})
    assert refused.status_code == 401 and "unknown or revoked" in refused.text
    assert "ledger_session" not in web.cookies


async def test_a_sign_in_without_its_form_token_is_refused(web, tenant):
    await web.get("/login")
    forged = await web.post("/login", data={"api_key": tenant.keys["write"], "csrf": "guess"})
    assert forged.status_code == 403 and "<html" in forged.text


async def test_pages_without_a_session_send_to_sign_in_and_posts_are_refused(web, tenant):
    incident = await detect(web, tenant)
    page = await web.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    forged = await web.post(f"/incidents/{incident['id']}/actions/acknowledge", data={"version": "1"})
    assert forged.status_code == 403 and "signed-in page" in forged.text
    live = await web.get("/live")
    assert live.status_code == 401


async def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(web, tenant):
    incident = await detect(web, tenant)
    await sign_in(web, tenant.keys["write"])
    for token in (None, "wrong"):
        data = {"version": "1"} | ({"csrf": token} if token else {})
        forged = await web.post(f"/incidents/{incident['id']}/actions/acknowledge", data=data)
        assert forged.status_code == 403 and "security token" in forged.text
    read = await web.get(f"/v1/incidents/{incident['id']}", headers=tenant.auth())
    assert read.json()["version"] == 1


async def test_an_action_goes_through_the_shell_and_the_page_shows_it(web, tenant):
    incident = await detect(web, tenant, severity="sev2")
    csrf = await sign_in(web, tenant.keys["write"])
    done = await web.post(f"/incidents/{incident['id']}/actions/acknowledge", data={"csrf": csrf, "version": "1"})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=acknowledge")
    events = (await web.get(f"/v1/incidents/{incident['id']}/events", headers=tenant.auth())).json()["items"]
    assert [e["type"] for e in events] == ["detected", "acknowledged"]
    assert events[1]["actor"] == "write-key" and events[1]["recorded_by"] == "write-key"
    page = await web.get(done.headers["location"])
    assert "Acknowledged." in page.text and 'data-state="met"' in page.text
    assert "claimed" in page.text  # (an integration key's actor is claimed)


async def test_a_stale_page_is_told_and_nothing_is_overwritten(web, tenant):
    incident = await detect(web, tenant)
    csrf = await sign_in(web, tenant.keys["write"])
    page = await web.get(f"/incidents/{incident['id']}")
    version = _VERSION.search(page.text).group(1)
    await web.post(f"/v1/incidents/{incident['id']}/notes", json={"text": "elsewhere"}, headers=tenant.auth())
    stale = await web.post(
        f"/incidents/{incident['id']}/actions/severity",
        data={"csrf": csrf, "version": version, "severity": "sev1", "reason": "press"},
    )
    assert stale.status_code == 412
    assert "Someone else changed this incident" in stale.text
    assert "Reason for the change" in stale.text and 'value="press"' in stale.text  # (what was typed is kept)
    read = (await web.get(f"/v1/incidents/{incident['id']}", headers=tenant.auth())).json()
    assert read["severity"] == "sev2" and read["version"] == 2


async def test_a_refused_action_shows_the_problem_detail(web, tenant):
    incident = await detect(web, tenant)
    csrf = await sign_in(web, tenant.keys["write"])
    refused = await web.post(
        f"/incidents/{incident['id']}/actions/reply",
        data={"csrf": csrf, "version": "1", "text": "a" * 281, "channel": "x", "visibility": "public"},
    )
    assert refused.status_code == 422
    assert "280" in refused.text and 'role="alert"' in refused.text
    assert "a" * 281 in refused.text  # the draft is kept in the composer


async def test_the_composer_counts_xs_weighted_length(web, tenant):
    incident = await detect(web, tenant)
    csrf = await sign_in(web, tenant.keys["write"])
    url = f"/incidents/{incident['id']}/draft"
    counted = await web.post(
        url, json={"text": "日本 https://example.com/a/very/long/path"}, headers={"X-CSRF-Token": csrf}
    )
    assert counted.status_code == 200
    answer = counted.json()
    assert {k: answer[k] for k in ("weighted_length", "limit", "counted", "over")} == {
        "weighted_length": 4 + 1 + 23,
        "limit": 280,
        "counted": True,
        "over": False,
    }
    # the same answer carries the reply review's findings
    flagged = await web.post(
        url, json={"text": "This is not our problem. Contact your bank."}, headers={"X-CSRF-Token": csrf}
    )
    assert "defensive" in {f["kind"] for f in flagged.json()["findings"]}
    over = await web.post(url, json={"text": "a" * 281}, headers={"X-CSRF-Token": csrf})
    assert over.json()["over"] is True
    private = await web.post(url, json={"text": "a" * 281, "visibility": "private"}, headers={"X-CSRF-Token": csrf})
    assert private.json()["over"] is False and private.json()["counted"] is False
    forged = await web.post(url, json={"text": "x"})
    assert forged.status_code == 403


async def test_a_read_session_sees_no_action_controls_and_cannot_act(web, tenant):
    incident = await detect(web, tenant)
    csrf = await sign_in(web, tenant.keys["read"])
    page = await web.get(f"/incidents/{incident['id']}")
    assert page.status_code == 200
    assert re.findall(r"<button[^>]*>([^<]*)</button>", page.text) == ["Sign out"]
    assert "<textarea" not in page.text and "/actions/" not in page.text
    refused = await web.post(f"/incidents/{incident['id']}/actions/acknowledge", data={"csrf": csrf, "version": "1"})
    assert refused.status_code == 403 and "write scope" in refused.text
    assert (await web.get(f"/v1/incidents/{incident['id']}", headers=tenant.auth())).json()["version"] == 1


async def test_another_tenants_incident_is_a_404_page(web, tenant, pool):
    other = await new_tenant(pool, "other")
    theirs = await detect(web, other)
    await sign_in(web, tenant.keys["admin"])
    page = await web.get(f"/incidents/{theirs['id']}")
    assert page.status_code == 404 and "<html" in page.text and "Not found" in page.text
    assert theirs["title"] not in page.text


async def test_sessions_never_authenticate_the_api(web, tenant):
    await sign_in(web, tenant.keys["admin"])
    assert (await web.get("/v1/incidents")).status_code == 401


async def test_sign_out_ends_the_session(web, tenant, pool):
    csrf = await sign_in(web, tenant.keys["write"])
    cookie = web.cookies["ledger_session"]
    out = await web.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert await pool.fetchval("SELECT count(*) FROM web_sessions WHERE tenant_id = $1", tenant.name) == 0
    web.cookies.set("ledger_session", cookie)
    assert (await web.get("/")).status_code == 303


async def test_a_revoked_key_ends_its_sessions(web, tenant, pool):
    await sign_in(web, tenant.keys["write"])
    async with pool.acquire() as conn:
        await revoke_key(conn, tenant.name, "write-key")
    page = await web.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert await pool.fetchval("SELECT count(*) FROM web_sessions WHERE tenant_id = $1", tenant.name) == 0


async def test_a_session_ends_at_its_expiry(pool, tenant):
    now = clock.now()
    session = await web_sessions.sign_in(pool, tenant.keys["read"], now, timedelta(minutes=5))
    assert session is not None
    assert await web_sessions.resume(pool, session.cookie, now + timedelta(minutes=4)) is not None
    assert await web_sessions.resume(pool, session.cookie, now + timedelta(minutes=5)) is None
    assert await web_sessions.resume(pool, "not-a-cookie", now) is None
    assert await web_sessions.resume(pool, tenant.name + "." + "x" * 43, now) is None


async def test_assigning_the_missing_role_clears_it_on_the_board(web, tenant):
    incident = await detect(web, tenant, severity="sev4", title="Only a responder is needed")
    csrf = await sign_in(web, tenant.keys["write"])
    row = await _row(web, incident["id"])
    assert "social responder" in row
    done = await web.post(
        f"/incidents/{incident['id']}/actions/assign",
        data={"csrf": csrf, "version": "1", "role": "social_responder", "assignee": "mehmet@brand.example"},
    )
    assert done.status_code == 303
    row = await _row(web, incident["id"])
    assert "social responder" not in row and "all held" in row


async def _row(web: httpx.AsyncClient, incident_id: str) -> str:
    rows = (await web.get("/board/rows")).text
    found = re.search(rf'<tr data-incident="{incident_id}".*?</tr>', rows, re.S)
    assert found, rows[:500]
    return found.group(0)


async def test_the_board_puts_breached_incidents_first_then_the_nearest_due(web, tenant):
    now = clock.now()
    late = await detect(web, tenant, severity="sev1", title="Late", occurred_at=(now - timedelta(hours=1)).isoformat())
    soon = await detect(web, tenant, severity="sev1", title="Soon")
    later = await detect(web, tenant, severity="sev4", title="Later")
    await sign_in(web, tenant.keys["read"])
    rows = (await web.get("/board/rows")).text
    order = [m for m in re.findall(r'data-incident="([^"]+)"', rows)]
    assert order == [late["id"], soon["id"], later["id"]]
    assert "row-breached" in rows.split(late["id"])[1].split("</tr>")[0] or 'class="row-breached"' in rows


async def test_the_reports_page_draws_svg_charts_and_csv_downloads_are_neutralised(web, tenant):
    incident = await detect(web, tenant, severity="sev2")
    await web.post(f"/v1/incidents/{incident['id']}/acknowledge", json={}, headers=tenant.auth())
    await sign_in(web, tenant.keys["read"])
    page = await web.get("/reports")
    assert page.status_code == 200
    assert page.text.count("<svg viewBox=") == 5 and "SLA compliance per week" in page.text
    assert "<script" not in page.text.split("</head>")[1]  # (the charts need no script)
    sla = await web.get("/reports/sla.csv")
    assert sla.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sla.text)))
    assert rows[0][:4] == ["group_by", "group", "metric", "count"]
    assert any(r[0] == "week" and r[2] == "acknowledge" and r[3] == "1" and r[4] == "1" for r in rows[1:])
    coverage = await web.get("/reports/coverage.csv")
    assert next(iter(csv.reader(io.StringIO(coverage.text))))[:2] == ["kind", "name"]


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    from projections.report_csv import cell

    assert [cell(v) for v in ("=1+1", "+x", "-2", "@SUM(A1)", "\tx", "plain", None, 0.25, 3)] == [
        "'=1+1",
        "'+x",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "",
        "0.25",
        "3",
    ]


async def test_the_plan_page_and_an_admin_edit_through_the_policy_change_path(web, tenant):
    csrf = await sign_in(web, tenant.keys["read"])
    page = await web.get("/plan")
    assert page.status_code == 200 and "incident lead" in page.text and "Save plan" not in page.text
    refused = await web.post("/plan", data={"csrf": csrf, "version": "0", "document": "{}"})
    assert refused.status_code == 403
    csrf = await sign_in(web, tenant.keys["admin"])
    page = await web.get("/plan")
    document = re.search(r'<textarea id="plan-document"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    import html
    import json

    doc = json.loads(html.unescape(document))
    doc["severities"]["sev4"]["targets"]["acknowledge"] = {"seconds": 7200, "calendar": None}
    saved = await web.post("/plan", data={"csrf": csrf, "version": "0", "document": json.dumps(doc)})
    assert saved.status_code == 303 and saved.headers["location"] == "/plan?saved=1"
    policy = await web.get("/v1/policy", headers=tenant.auth("read"))
    assert policy.json()["version"] == 1
    assert policy.json()["severities"]["sev4"]["targets"]["acknowledge"]["seconds"] == 7200
    stale = await web.post("/plan", data={"csrf": csrf, "version": "0", "document": json.dumps(doc)})
    assert stale.status_code == 412 and "Someone else changed the plan" in stale.text
    invalid = await web.post("/plan", data={"csrf": csrf, "version": "1", "document": '{"roles": []}'})
    assert invalid.status_code == 422 and 'role="alert"' in invalid.text
    # A key twice is refused as the API refuses it (the decoder would keep the last without a word).
    text = json.dumps(doc)
    repeated = text[:-1] + ', "roles": []}'
    assert json.loads(repeated)["roles"] == []  # a decoder that keeps the last would save no roles
    twice = await web.post("/plan", data={"csrf": csrf, "version": "1", "document": repeated})
    assert twice.status_code == 400 and "appears twice" in twice.text and 'role="alert"' in twice.text
    after = await web.get("/v1/policy", headers=tenant.auth("read"))
    assert after.json()["version"] == 1 and after.json()["roles"]


async def test_every_asset_is_served_here_and_the_script_is_small(web):
    script = await web.get("/static/crisis-room.js")
    style = await web.get("/static/crisis-room.css")
    assert script.status_code == 200 and style.status_code == 200
    assert len(script.content) < 150 * 1024
    page = (await web.get("/login")).text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from another host


def test_a_clock_says_its_state_in_words():
    from datetime import UTC, datetime

    from ledger.http.web.present import clock_state, duration, reach
    from schemas.blocks import Milestone

    now = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)

    def milestone(status: str, due_in: float | None, met_in: float | None = None) -> Milestone:
        return Milestone(
            target_seconds=300,
            calendar=None,
            due_at=None if due_in is None else now + timedelta(seconds=due_in),
            status=status,  # type: ignore[arg-type]
            met_at=None if met_in is None else now + timedelta(seconds=met_in),
            breached_at=None,
            elapsed_seconds=None,
            met_by_event_id=None,
        )

    assert clock_state(milestone("pending", 600), now, 300) == ("pending", "10 min left")
    assert clock_state(milestone("pending", 120), now, 300) == ("at risk", "2 min left")
    assert clock_state(milestone("pending", -90), now, 300) == ("breached", "overdue 1 min")
    assert clock_state(milestone("breached", -600, -60), now, 300) == ("breached", "late by 9 min")
    assert clock_state(milestone("met", 600, -60), now, 300) == ("met", "")
    assert clock_state(milestone("cancelled", None), now, 300) == ("cancelled", "")
    assert clock_state(None, now, 300) == ("none", "no target")
    assert [duration(s) for s in (5, 60, 3600, 3660, 86400, 90000)] == [
        "5 s",
        "1 min",
        "1 h",
        "1 h 1 min",
        "1 d",
        "1 d 1 h",
    ]
    assert [reach(v) for v in (None, 999, 1200, 120_000, 2_400_000)] == ["—", "999", "1.2k", "120k", "2.4M"]


def test_holding_statements_are_offered_whatever_their_shape():
    from ledger.service.incident_sheet import HoldingStatement, holding_statements
    from schemas.policy import Policy

    class Plan:
        holding_statements = [
            {"id": "recall-en", "text": "We are looking into it.", "language": "en", "scenario": "product-defect"},
            "A bare text",
            {"name": "no text"},
        ]

    assert holding_statements(Plan()) == [
        HoldingStatement("recall-en (product-defect, en)", "We are looking into it.", "recall-en"),
        HoldingStatement("A bare text", "A bare text"),
    ]
    assert holding_statements(Policy(version=0, roles=[], severities={})) == []  # a plan without any


async def test_a_reply_from_a_holding_statement_names_it(web, tenant):
    plan = (await web.get("/v1/policy", headers=tenant.auth("read"))).json()
    plan.pop("version")
    text = "We know about the charger reports and are looking into them now. More within the hour."
    plan["holding_statements"] = [{"id": "charger-first", "text": text, "language": "en", "scenario": "product-defect"}]
    changed = await web.put("/v1/policy", json=plan, headers=tenant.auth("admin"))
    assert changed.status_code == 200, changed.text
    incident = await detect(web, tenant)
    csrf = await sign_in(web, tenant.keys["write"])
    page = await web.get(f"/incidents/{incident['id']}")
    assert 'value="charger-first"' in page.text and "charger-first (product-defect, en)" in page.text
    form = {"csrf": csrf, "version": "1", "text": text, "channel": "x", "visibility": "public"}
    sent = await web.post(f"/incidents/{incident['id']}/actions/reply", data=form | {"template_id": "charger-first"})
    assert sent.status_code == 303, sent.text
    events = (await web.get(f"/v1/incidents/{incident['id']}/events", headers=tenant.auth())).json()["items"]
    assert events[-1]["type"] == "replied" and events[-1]["data"]["template_id"] == "charger-first"


async def test_the_board_marks_a_suggested_escalation_and_the_timeline_shows_it(web, tenant, pool):
    from ledger.store.events import EventStore
    from ledger.store.policies import PolicyStore
    from ledger.workers.breach_watch import watch_tenant
    from projections.runner import registry

    incident = await detect(web, tenant, title="Thread that grows", severity="sev4", reach=60_000)  # sev4: 50,000
    await sign_in(web, tenant.keys["read"])
    assert "escalate?" not in (await web.get("/")).text
    policies = PolicyStore(pool)
    views = registry(policies)["incident_views"]
    window = timedelta(minutes=1)
    assert (
        await watch_tenant(pool, EventStore(pool), views, tenant.name, window, clock=clock.now, policies=policies) == 1
    )
    assert "escalate?" in (await web.get("/")).text
    page = (await web.get(f"/incidents/{incident['id']}")).text
    assert "Escalation suggested: reach 60k passed the SEV4 threshold of 50k." in page


async def test_one_rows_fragment_is_the_boards_row_gone_once_resolved_and_404_for_another_tenant(web, tenant, pool):
    mine = await detect(web, tenant, severity="sev1", title="One row <b>only</b>")
    other = await new_tenant(pool)
    theirs = await detect(web, other, title="Not yours")
    await sign_in(web, tenant.keys["read"])
    one = await web.get(f"/board/rows/{mine['id']}")
    assert one.status_code == 200
    assert one.text.count("<tr ") == 1 and "One row &lt;b&gt;only&lt;/b&gt;" in one.text
    # The same row as the whole board draws it (the clocks' texts aside, which count down).
    strip = lambda html: re.sub(r'<span class="clock-time">[^<]*</span>|>\d+ s<', "", html)  # noqa: E731
    assert strip(one.text.strip()) == strip(await _row(web, mine["id"]))
    assert re.search(r'data-rank="[01] (\d+|Infinity) \d+"', one.text)
    assert (await web.get(f"/board/rows/{theirs['id']}")).status_code == 404
    assert "Not yours" not in (await web.get(f"/board/rows/{theirs['id']}")).text
    r = await web.post(f"/v1/incidents/{mine['id']}/resolve", json={"summary": "done"}, headers=tenant.auth())
    assert r.status_code == 201, r.text
    gone = await web.get(f"/board/rows/{mine['id']}")
    assert gone.status_code == 204 and gone.content == b""
    web.cookies.clear()
    assert (await web.get(f"/board/rows/{mine['id']}", follow_redirects=False)).status_code in (302, 303, 401)


async def test_the_pages_are_gzipped_when_asked_and_the_api_is_not(web, tenant):
    for i in range(5):
        await detect(web, tenant, title=f"Compressed {i}")
    await sign_in(web, tenant.keys["read"])
    board = await web.get("/", headers={"accept-encoding": "gzip"})
    assert board.headers["content-encoding"] == "gzip" and "Compressed 4" in board.text
    assert board.num_bytes_downloaded < len(board.content) / 3
    plain = await web.get("/", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and "Compressed 4" in plain.text
    api = await web.get("/v1/incidents", headers={**tenant.auth("read"), "accept-encoding": "gzip"})
    assert api.status_code == 200 and "content-encoding" not in api.headers


async def test_the_pages_feed_refuses_a_last_event_id_that_is_not_a_position(web, tenant):
    await sign_in(web, tenant.keys["read"])
    # (b"\xb2" is "²" in Latin-1, how a header's bytes are read: a digit to str.isdigit, a 500 to int)
    for bad in (b"\xb2", b"12a", b"99999999999999999"):
        live = await web.get("/live", headers={"Last-Event-ID": bad})
        assert live.status_code == 400 and "Last-Event-ID must be a feed position" in live.text, (bad, live.text)

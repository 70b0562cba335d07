"""The plan page's what-if preview over HTTP, without a browser: the page as a plain form post
renders it, the script's NDJSON stream carries it line by line, read scope may preview but not
save, an invalid plan shows the API's problem, and a preview saves nothing. (In Chromium:
tests/test_crisis_room_browser.py.)"""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest

from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.store.policies import PolicyStore
from projections.reports import ReportFilter
from projections.runner import catch_up_all, registry
from projections.whatif import WhatIf, measure
from schemas.api import SlaReport
from tests import clock
from tests.conftest import detect_body
from tests.test_crisis_room_http import sign_in

NDJSON = {"Accept": "application/x-ndjson"}


@pytest.fixture
async def web(app_client: httpx.AsyncClient) -> httpx.AsyncClient:
    app_client.cookies.clear()
    return app_client


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _history(web, tenant) -> list[tuple[str, str]]:
    """Three acknowledged incidents detected yesterday: (id, title). Under the built-in plan the
    sev2 acknowledged after 10 minutes met its 15; the sev1 after 8 missed its 5; the sev3 after 40 met its hour."""
    t0 = (clock.now() - timedelta(days=1)).replace(microsecond=0)
    made = []
    for n, (severity, minutes) in enumerate((("sev2", 10), ("sev1", 8), ("sev3", 40))):
        start = t0 + timedelta(minutes=n)
        title = f"Preview {severity} acknowledged after {minutes} min"
        body = {**detect_body(title=title, severity=severity), "occurred_at": _iso(start)}
        r = await web.post("/v1/incidents", json=body, headers=tenant.auth())
        assert r.status_code == 201, r.text
        made.append((r.json()["id"], title))
        ack = {"occurred_at": _iso(start + timedelta(minutes=minutes))}
        r = await web.post(f"/v1/incidents/{made[-1][0]}/acknowledge", json=ack, headers=tenant.auth())
        assert r.status_code == 201, r.text
    return made


def _tightened() -> str:
    """The built-in plan with sev2 acknowledged within 5 minutes (the sev2 at 10 now breaches)."""
    doc = copy.deepcopy(policy_to_dict(DEFAULT_POLICY))
    doc.pop("version", None)
    doc["severities"]["sev2"]["targets"]["acknowledge"] = {"seconds": 300, "calendar": None}
    return json.dumps(doc)


async def _plan_versions(web, tenant) -> tuple[int, int]:
    policy = (await web.get("/v1/policy", headers=tenant.auth("read"))).json()
    history = (await web.get("/v1/policy/history", headers=tenant.auth("read"))).json()
    return policy["version"], len(history["items"])


def _lines(body: str) -> list[dict]:
    return [json.loads(line) for line in body.splitlines() if line.strip()]


async def test_a_plain_form_preview_renders_the_table_and_saves_nothing(web, tenant):
    made = await _history(web, tenant)
    before = await _plan_versions(web, tenant)
    csrf = await sign_in(web, tenant.keys["admin"])
    page = await web.get("/plan")
    assert ">Preview</button>" in page.text and "Save plan" in page.text
    form = {"csrf": csrf, "version": "0", "document": _tightened()}
    shown = await web.post("/plan/preview", data=form)
    assert shown.status_code == 200, shown.text
    text = shown.text
    assert "What this plan would have done" in text and "3 of 3 incidents: done." in text
    # The changed milestone, linked by the incident's title: met now, breached under the proposal.
    sev2_id, sev2_title = made[0]
    row = re.search(rf'<tr><td><a href="/incidents/{sev2_id}">{re.escape(sev2_title)}</a>.*?</tr>', text, re.S)
    assert row is not None
    cells = re.findall(r'class="outcome outcome-(\w+)"', row.group(0))
    assert cells == ["met", "breached"]
    assert text.count('<tr><td><a href="/incidents/') == 1  # (the sev1 and sev3 come out the same)
    assert "1 more breached" in text and "<strong>1</strong> milestone\n  outcome would change" in text
    # The draft stays in the editor; the plan is not saved.
    assert (
        html.unescape(re.search(r'<textarea id="plan-document"[^>]*>(.*?)</textarea>', text, re.S).group(1))
        == (form["document"])
    )
    assert await _plan_versions(web, tenant) == before


async def test_the_streamed_preview_arrives_line_by_line(web, tenant):
    made = await _history(web, tenant)
    before = await _plan_versions(web, tenant)
    csrf = await sign_in(web, tenant.keys["admin"])
    day = (clock.now() - timedelta(days=1)).date()
    form = {"csrf": csrf, "document": _tightened(), "since": day.isoformat(), "until": day.isoformat()}
    answer = await web.post("/plan/preview", data=form, headers=NDJSON)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
    lines = _lines(answer.text)
    assert lines[0]["total"] == 3 and 'id="preview"' in lines[0]["html"] and 'id="preview-rows"' in lines[0]["html"]
    assert [line.get("done") for line in lines[1:]] == [3, 3]  # one page of incidents, then the summary
    assert f'href="/incidents/{made[0][0]}"' in lines[1]["rows"] and "summary" not in lines[1]
    summary = lines[-1]["summary"]
    assert "SEV2" in summary and "1 more breached" in summary and "no change" in summary
    assert await _plan_versions(web, tenant) == before
    # A day with no incidents: the stream still ends with its summary.
    empty = {**form, "since": "2001-01-01", "until": "2001-01-02"}
    lines = _lines((await web.post("/plan/preview", data=empty, headers=NDJSON)).text)
    assert lines[0]["total"] == 0 and "summary" in lines[-1]


async def test_a_read_session_may_preview_but_not_save(web, tenant):
    await _history(web, tenant)
    csrf = await sign_in(web, tenant.keys["read"])
    page = await web.get("/plan")
    assert ">Preview</button>" in page.text and "Save plan" not in page.text and 'action="/plan/preview"' in page.text
    answer = await web.post("/plan/preview", data={"csrf": csrf, "document": _tightened()}, headers=NDJSON)
    assert answer.status_code == 200 and _lines(answer.text)[0]["total"] == 3
    saved = await web.post("/plan", data={"csrf": csrf, "version": "0", "document": _tightened()})
    assert saved.status_code == 403
    forged = await web.post("/plan/preview", data={"document": _tightened()}, headers=NDJSON)
    assert forged.status_code == 403  # (no CSRF token)
    assert (await _plan_versions(web, tenant))[0] == 0


async def test_an_invalid_plan_shows_the_apis_problem(web, tenant):
    bad = json.loads(_tightened())
    bad["severities"]["sev1"]["targets"]["acknowledge"] = {"seconds": -5, "calendar": "nowhere"}
    now = clock.now()
    api = await web.post(
        "/v1/policy/what-if",
        json={"policy": bad, "since": _iso(now - timedelta(days=1)), "until": _iso(now)},
        headers=tenant.auth("read"),
    )
    assert api.status_code == 422
    csrf = await sign_in(web, tenant.keys["admin"])
    form = {"csrf": csrf, "document": json.dumps(bad)}
    page = await web.post("/plan/preview", data=form)
    assert page.status_code == 422 and 'role="alert"' in page.text
    assert api.json()["detail"] in html.unescape(page.text) and 'id="preview"' not in page.text
    streamed = await web.post("/plan/preview", data=form, headers=NDJSON)
    assert streamed.status_code == 422 and streamed.json()["detail"] == api.json()["detail"]
    for broken in ({**form, "document": "{not json"}, {**form, "since": "yesterday"}, {**form, "until": "9999-12-31"}):
        refused = await web.post("/plan/preview", data=broken, headers=NDJSON)
        assert refused.status_code in (400, 422) and refused.json()["detail"]
    backwards = await web.post("/plan/preview", data={**form, "since": "2030-01-02", "until": "2030-01-01"})
    assert backwards.status_code == 422 and "first day" in backwards.text
    twice = await web.post("/plan/preview", data={**form, "document": '{"roles": [], "roles": []}'}, headers=NDJSON)
    assert twice.status_code == 400 and "appears twice" in twice.json()["detail"]


async def test_the_preview_per_severity_is_the_grouped_report(web, tenant, pool):
    """The severity rows count as `GET /v1/reports/sla?group_by=severity` does, to the figure."""
    await _history(web, tenant)
    since, until = clock.now() - timedelta(days=2), clock.now()
    policies = PolicyStore(pool)
    await catch_up_all(pool, registry(policies), tenant.name, None)
    run = WhatIf(DEFAULT_POLICY, clock.now(), by_severity={})
    async for _ in measure(run, pool, policies, tenant.name, ReportFilter(since=since, until=until)):
        pass
    current, proposed = run.severity_reports()
    params = {"since": _iso(since), "until": _iso(until), "group_by": "severity"}
    stored = (await web.get("/v1/reports/sla", params=params, headers=tenant.auth("read"))).json()
    assert [g["key"] for g in stored["groups"]] == ["sev1", "sev2", "sev3"]
    for report in (current, proposed):  # (the same plan on both sides)
        assert stored == _plain(report)


def _plain(report: SlaReport) -> dict:
    return msgspec.json.decode(msgspec.json.encode(report))

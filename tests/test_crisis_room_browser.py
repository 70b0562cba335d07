"""The crisis room in a real browser: Debian's Chromium driven by Playwright, against a real server
process (granian, as `crisis-ledger serve` runs it) on a database of its own.

The browser is the system's (`apt-get install chromium`; .ci/run installs it): PLAYWRIGHT_CHROMIUM
if set, else /usr/bin/chromium, else `chromium` on the PATH. Without one these tests fail rather
than skip: a crisis room nobody ran in a browser is not tested.

The server runs on the real clock (the browser counts down against it). The tests also take the
screenshots of docs/crisis-room.md: into docs/screenshots/ when CRISIS_LEDGER_SCREENSHOTS=1 (to
refresh the docs' pictures), else into a temporary folder, so that a test run leaves the tree as
it found it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from ledger.store.keys import revoke_key
from tests.conftest import Tenant, detect_body, new_tenant
from tests.processes import ServerProcess

DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (the module's docstring says when that is docs/screenshots/)."""
    if os.environ.get("CRISIS_LEDGER_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def chromium() -> str:
    for candidate in (os.environ.get("PLAYWRIGHT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium: apt-get install -y chromium, or set PLAYWRIGHT_CHROMIUM to a Chromium binary")


@pytest.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[ServerProcess]:
    env = {"LEDGER_STREAM_POLL_MS": "500", "LEDGER_STREAM_HEARTBEAT_MS": "1000", "LEDGER_PROJECTION_INTERVAL_MS": "200"}
    process = await asyncio.to_thread(ServerProcess(database_url, env=env).start)
    yield process
    await asyncio.to_thread(process.stop)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    path = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path)
        yield launched
        await launched.close()


@pytest.fixture(scope="module")
async def people(pool) -> Tenant:
    return await new_tenant(pool, "room")


async def api(server: ServerProcess, tenant: Tenant, path: str, body: dict, scope: str = "write") -> dict:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        r = await http.post(path, json=body, headers=tenant.auth(scope))
        assert r.status_code in (200, 201), r.text
        return r.json()


async def signed_in(browser: Browser, server: ServerProcess, key: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        base_url=server.base_url, viewport={"width": 1400, "height": 900}, timezone_id="Asia/Tokyo"
    )
    page = await context.new_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login$"))  # (no session: the board sends to sign-in)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Open incidents")).to_be_visible()
    return context, page


async def test_sign_in_and_an_incident_detected_through_the_api_appears_live(browser, server, people):
    context, page = await signed_in(browser, server, people.keys["write"])
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    title = "Live: battery recall rumour spreading"
    await api(server, people, "/v1/incidents", detect_body(title=title, severity="sev1", reach=2_400_000))
    # within 2 s, without a reload
    await expect(page.get_by_role("link", name=title)).to_be_visible(timeout=2000)
    row = page.locator("tr", has=page.get_by_role("link", name=title))
    await expect(row).to_contain_text("2.4M")
    await expect(row).to_contain_text("incident lead")  # a missing role
    await context.close()


async def test_times_show_in_the_viewers_zone_with_the_utc_instant_on_hover(browser, server, people):
    created = await api(server, people, "/v1/incidents", detect_body(title="Zone check"))
    context, page = await signed_in(browser, server, people.keys["read"])
    await page.goto(f"/incidents/{created['id']}")
    detected = page.locator(".incident-head time").first
    utc = await detected.get_attribute("title")
    assert utc is not None and utc.endswith("UTC")
    shown = await detected.inner_text()
    assert "UTC" not in shown and shown != utc  # rewritten by the script in Asia/Tokyo
    await context.close()


async def test_the_clocks_count_down_and_change_state_without_a_reload(browser, server, people):
    # A sev1 acknowledgement is due 5 minutes after detection: detected 4:20 ago, it is at risk and
    # breaches in 40 s of the page's clock, which the test then moves on (Playwright's fake clock,
    # started at the real time): a loaded machine's slow page load cannot use up the margin.
    when = datetime.now(UTC) - timedelta(minutes=5) + timedelta(seconds=40)
    created = await api(
        server, people, "/v1/incidents", detect_body(title="Ticking", severity="sev1", occurred_at=when.isoformat())
    )
    context, page = await signed_in(browser, server, people.keys["read"])
    await page.clock.install()
    await page.goto(f"/incidents/{created['id']}")
    ack = page.locator(".clock-list .clock").first
    await expect(ack.locator(".clock-state")).to_have_text("at risk")
    await expect(ack.locator(".clock-time")).to_contain_text("left")
    await page.clock.run_for(45_000)  # the page's own one-second tick, 45 times
    await expect(ack.locator(".clock-state")).to_have_text("breached")
    await expect(ack.locator(".clock-time")).to_contain_text("overdue")
    await context.close()


async def test_acknowledge_from_the_page_turns_its_clock_to_met(browser, server, people):
    created = await api(server, people, "/v1/incidents", detect_body(title="Ack me", severity="sev2"))
    context, page = await signed_in(browser, server, people.keys["write"])
    await page.goto(f"/incidents/{created['id']}")
    ack = page.locator(".clock-list .clock").first
    await expect(ack.locator(".clock-state")).to_have_text("pending")
    await page.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_role("status").filter(has_text="Acknowledged.")).to_be_visible()
    await expect(ack.locator(".clock-state")).to_have_text("met")
    await expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await context.close()


async def test_the_composer_counts_xs_weighted_length_and_a_281_reply_cannot_be_sent(browser, server, people):
    created = await api(server, people, "/v1/incidents", detect_body(title="Composer", channel="x"))
    context, page = await signed_in(browser, server, people.keys["write"])
    await page.goto(f"/incidents/{created['id']}")
    reply, count = page.get_by_role("textbox", name="Reply"), page.locator("#reply-count")
    send = page.get_by_role("button", name="Send reply")
    await reply.fill("Sorry 🙏 see https://example.com/a/long/path/to/our/statement")
    await expect(count).to_have_text("36 / 280")  # "Sorry " 6, the emoji 2, " see " 5, the link 23
    # the review's findings as you type
    await reply.fill("This is not our problem. Contact your bank.")
    await expect(page.locator("#reply-findings li").first).to_be_visible()
    await expect(page.locator("#reply-findings")).to_contain_text("not our problem")
    await reply.fill("a" * 281)
    await expect(count).to_contain_text("281 / 280")
    await expect(send).to_be_disabled()
    # Forced past the button, the server refuses it and the page says why.
    await page.evaluate("document.getElementById('send-reply').disabled = false")
    await send.click()
    await expect(page.get_by_role("alert")).to_contain_text("280")
    await expect(page.get_by_role("textbox", name="Reply")).to_have_value("a" * 281)
    await page.get_by_role("textbox", name="Reply").fill(
        "We are looking into this now and will update within the hour."
    )
    await expect(page.locator("#reply-count")).to_have_text("61 / 280")
    await page.get_by_label("Approved by").fill("legal@brand.example")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator(".statement blockquote")).to_have_text(
        "We are looking into this now and will update within the hour."
    )
    await context.close()


async def test_assigning_the_missing_role_clears_it_on_the_live_board(browser, server, people):
    title = "Only a responder missing"
    # (a reach under sev4's escalation threshold: else the breach watch's escalation suggestion may
    # land between the page's load and the click, and the page is rightly told it is stale)
    created = await api(server, people, "/v1/incidents", detect_body(title=title, severity="sev4", reach=1_000))
    context, board = await signed_in(browser, server, people.keys["write"])
    row = board.locator("tr", has=board.get_by_role("link", name=title))
    await expect(row.locator(".pill-missing")).to_have_text(re.compile("social responder"))
    page = await context.new_page()
    await page.goto(f"/incidents/{created['id']}")
    await page.get_by_label("Role").select_option("social_responder")
    await page.get_by_label("Assignee").fill("mehmet@brand.example")
    await page.get_by_role("button", name="Assign").click()
    await expect(page.get_by_role("status").filter(has_text="Assigned.")).to_be_visible()
    # the board, open in the other tab, re-renders the row from the feed
    await expect(row.locator(".pill-missing")).to_have_count(0, timeout=2000)
    await expect(row).to_contain_text("all held")
    await context.close()


async def test_the_live_board_changes_only_the_rows_an_event_is_about(browser, server, pool):
    """A new incident is inserted in its place, an acknowledged one redrawn, a resolved one taken
    off, each by fetching its row alone; the other rows stay the very same elements."""
    crew = await new_tenant(pool, "live")
    ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    late = await api(server, crew, "/v1/incidents", detect_body(title="Late one", severity="sev1", occurred_at=ago))
    # (a small reach: no escalation suggestion from the breach watch, so no event of its own)
    quiet = await api(server, crew, "/v1/incidents", detect_body(title="Quiet one", severity="sev4", reach=1_000))
    context, page = await signed_in(browser, server, crew.keys["read"])
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    titles = page.locator("#board-rows tr[data-incident] td.title a")
    await expect(titles).to_have_text(["Late one", "Quiet one"])
    await page.evaluate("document.querySelectorAll('#board-rows tr').forEach((tr) => { tr.dataset.kept = 'yes'; })")

    soon = await api(server, crew, "/v1/incidents", detect_body(title="Due soon", severity="sev1"))
    # breached first, then the nearest due: a sev1's acknowledgement (5 min) before a sev4's
    await expect(titles).to_have_text(["Late one", "Due soon", "Quiet one"], timeout=2000)
    await api(server, crew, f"/v1/incidents/{soon['id']}/acknowledge", {})
    row = page.locator("tr", has=page.get_by_role("link", name="Due soon"))
    await expect(row.locator(".meta")).to_contain_text("acknowledged", timeout=2000)
    await api(server, crew, f"/v1/incidents/{late['id']}/resolve", {"summary": "done"})
    await expect(titles).to_have_text(["Due soon", "Quiet one"], timeout=2000)
    fetched = await page.evaluate("performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)")
    assert f"/board/rows/{soon['id']}" in fetched and f"/board/rows/{late['id']}" in fetched, fetched
    # The untouched row is the same element: replaced only if an event of its own came (the breach
    # watch's notices) or the feed was interrupted meanwhile (then the board is fetched whole).
    touched = f"/board/rows/{quiet['id']}" in fetched or "/board/rows" in fetched
    kept = page.locator('#board-rows tr[data-kept="yes"]')
    await expect(kept).to_have_count(0 if touched else 1)
    await expect(page.locator("tr", has=page.get_by_role("link", name="Quiet one"))).to_have_count(1)
    await context.close()


async def test_a_read_session_sees_no_action_controls_and_a_forged_post_is_refused(browser, server, people):
    created = await api(server, people, "/v1/incidents", detect_body(title="Read only"))
    context, page = await signed_in(browser, server, people.keys["read"])
    await page.goto(f"/incidents/{created['id']}")
    await expect(page.get_by_role("heading", name="Read only")).to_be_visible()
    for name in ("Acknowledge", "Assign", "Send reply", "Change severity", "Add note", "Resolve"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    await expect(page.get_by_role("textbox", name="Reply")).to_have_count(0)
    # A form post made up in the page, with the session's own CSRF token: refused by scope.
    status = await page.evaluate(
        """async (id) => {
            const csrf = document.querySelector('input[name=csrf]').value;
            const body = new URLSearchParams({csrf, version: '1'});
            return (await fetch(`/incidents/${id}/actions/acknowledge`, {method: 'POST', body})).status;
        }""",
        created["id"],
    )
    assert status == 403
    # And a post without the session's cookie (another site's form): refused too.
    stranger = await browser.new_context(base_url=server.base_url)
    forged = await stranger.request.post(
        f"/incidents/{created['id']}/actions/acknowledge", form={"version": "1"}, max_redirects=0
    )
    assert forged.status == 403
    await stranger.close()
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        read = await http.get(f"/v1/incidents/{created['id']}", headers=people.auth("read"))
    assert read.json()["version"] == 1
    await context.close()


async def test_revoking_the_key_ends_its_open_live_view(server, pool):
    """The live feed is the one request that stays open: it asks again whether its session holds."""
    tenant = await new_tenant(pool, "revoked")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        login = await http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
        signed = await http.post("/login", data={"api_key": tenant.keys["read"], "csrf": token})
        assert signed.status_code == 303
        async with http.stream("GET", "/live") as live:
            assert live.status_code == 200
            chunks = live.aiter_bytes()
            assert (await anext(chunks)).startswith(b"retry:")
            async with pool.acquire() as conn:
                await revoke_key(conn, tenant.name, "read-key")
            started = asyncio.get_running_loop().time()

            async def drain() -> None:
                async for _ in chunks:
                    pass

            await asyncio.wait_for(drain(), timeout=5)  # the server ends it (heartbeat here: 1 s)
            assert asyncio.get_running_loop().time() - started < 5
        assert (await http.get("/", follow_redirects=False)).status_code == 303


async def test_another_tenants_incident_is_a_404_page(browser, server, people, pool):
    other = await new_tenant(pool, "elsewhere")
    theirs = await api(server, other, "/v1/incidents", detect_body(title="Not yours"))
    context, page = await signed_in(browser, server, people.keys["admin"])
    response = await page.goto(f"/incidents/{theirs['id']}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(page.get_by_text("Not yours")).to_have_count(0)
    await context.close()


async def test_a_stale_page_gets_the_conflict_message(browser, server, people):
    created = await api(server, people, "/v1/incidents", detect_body(title="Stale", severity="sev3"))
    context, page = await signed_in(browser, server, people.keys["write"])
    await page.goto(f"/incidents/{created['id']}")
    await api(server, people, f"/v1/incidents/{created['id']}/notes", {"text": "changed elsewhere"})
    await expect(page.locator("#changed")).to_be_visible(timeout=2000)  # told live, not applied
    await page.get_by_label("New severity").select_option("sev1")
    await page.get_by_label("Reason for the change").fill("press picked it up")
    await page.get_by_role("button", name="Change severity").click()
    await expect(page.get_by_role("alert")).to_contain_text("Someone else changed this incident")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        read = await http.get(f"/v1/incidents/{created['id']}", headers=people.auth("read"))
    assert read.json()["severity"] == "sev3"  # never silently overwritten
    await context.close()


async def test_the_plan_preview_shows_what_an_edited_plan_would_have_done_and_saves_nothing(
    browser, server, pool, screenshots
):
    tenant = await new_tenant(pool, "preview")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    made = []
    for n, (severity, minutes) in enumerate((("sev2", 10), ("sev1", 2))):
        title = f"Preview: {severity} acknowledged after {minutes} min"
        start = yesterday + timedelta(minutes=n)
        body = detect_body(title=title, severity=severity, occurred_at=start.isoformat())
        created = await api(server, tenant, "/v1/incidents", body)
        ack = {"occurred_at": (start + timedelta(minutes=minutes)).isoformat()}
        await api(server, tenant, f"/v1/incidents/{created['id']}/acknowledge", ack)
        made.append((created["id"], title))
    # A read session may preview (the API's what-if is read scope) but has nothing to save with.
    context, page = await signed_in(browser, server, tenant.keys["read"])
    await page.get_by_role("link", name="Plan").click()
    await expect(page.get_by_role("button", name="Preview")).to_be_visible()
    await expect(page.get_by_role("button", name="Save plan")).to_have_count(0)
    await context.close()

    context, page = await signed_in(browser, server, tenant.keys["admin"])
    await page.goto("/plan")
    editor = page.get_by_label("Plan document (JSON)")
    document = json.loads(await editor.input_value())
    document["severities"]["sev2"]["targets"]["acknowledge"]["seconds"] = 300  # 15 min → 5 min
    await editor.fill(json.dumps(document, indent=2))
    await page.get_by_role("button", name="Preview").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#preview-count")).to_have_text("2 of 2 incidents: done.")
    changed = page.locator("#preview-rows tr")
    await expect(changed).to_have_count(1)
    await expect(changed.get_by_role("link", name=made[0][1])).to_be_visible()
    await expect(changed.locator(".outcome")).to_have_text(["✓ met", "✕ breached"])
    sev2_ack = page.locator(".preview-summary tr", has_text="SEV2").filter(has_text="Acknowledge")
    await expect(sev2_ack).to_contain_text("1 more breached")
    await expect(page.locator(".preview-summary tr", has_text="SEV1").filter(has_text="Acknowledge")).to_contain_text(
        "no change"
    )
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        policy = await http.get("/v1/policy", headers=tenant.auth("read"))
    assert policy.json()["version"] == 0  # previewed, not saved
    await expect(page).to_have_url(re.compile(r"/plan$"))  # (streamed into the page, not a new one)
    await page.locator("#preview").screenshot(path=str(screenshots / "plan-preview.png"))
    await expect(editor).to_have_value(re.compile('"seconds": 300'))  # the draft is still there

    # An invalid plan: the API's problem, on the page.
    document["severities"]["sev1"]["targets"]["acknowledge"]["seconds"] = -5
    await editor.fill(json.dumps(document))
    await page.get_by_role("button", name="Preview").click()
    await expect(page.get_by_role("alert")).to_contain_text("must be positive")
    await expect(page.locator("#preview")).to_have_count(0)
    await context.close()


async def test_screenshots_of_the_board_and_an_incident(browser, server, pool, screenshots):
    """docs/screenshots/: a tenant with a few incidents in different states, as a person sees them."""
    demo = await new_tenant(pool, "shots")
    now = datetime.now(UTC)
    incidents = [
        ("Thread: charger overheated and burned a desk", "sev1", "x", 120_000, now - timedelta(minutes=7)),
        ("TikTok video claims our app leaks photos", "sev2", "tiktok", 860_000, now - timedelta(minutes=12)),
        ("Instagram comments: delayed refunds", "sev3", "instagram", 14_000, now - timedelta(minutes=50)),
        ("Reddit post about a rude support agent", "sev4", "reddit", 3_200, now - timedelta(hours=2)),
    ]
    ids = []
    for title, severity, channel, reach, when in incidents:
        created = await api(
            server,
            demo,
            "/v1/incidents",
            detect_body(title=title, severity=severity, channel=channel, reach=reach, occurred_at=when.isoformat()),
        )
        ids.append(created["id"])
    first = ids[0]
    await api(server, demo, f"/v1/incidents/{first}/acknowledge", {"actor": "ayse@brand.example"})
    for role, person in (("incident_lead", "ayse@brand.example"), ("social_responder", "mehmet@brand.example")):
        await api(server, demo, f"/v1/incidents/{first}/assignments", {"role": role, "assignee": person})
    await api(
        server,
        demo,
        f"/v1/incidents/{first}/replies",
        {
            "channel": "x",
            "visibility": "public",
            "approved_by": "legal@brand.example",
            "actor": "mehmet@brand.example",
            "text": "We are sorry and are investigating with our safety team right now. "
            "Please DM us your order number.",
            "url": "https://x.com/brand/status/2",
        },
    )
    await api(server, demo, f"/v1/incidents/{first}/notes", {"kind": "decision", "text": "Pause the charger ads"})
    await api(server, demo, f"/v1/incidents/{ids[1]}/acknowledge", {"actor": "deniz@brand.example"})
    context, page = await signed_in(browser, server, demo.keys["write"])
    await page.reload()
    await expect(page.locator("#board-rows tr")).to_have_count(4)
    await page.screenshot(path=str(screenshots / "board.png"), full_page=True)
    await page.goto(f"/incidents/{first}")
    await expect(page.get_by_role("heading", name=incidents[0][0])).to_be_visible()
    await page.screenshot(path=str(screenshots / "incident.png"), full_page=True)
    await page.get_by_role("link", name="Reports").click()
    await expect(page.get_by_role("img", name="SLA compliance per week")).to_be_visible()
    await page.screenshot(path=str(screenshots / "reports.png"), full_page=True)
    await context.close()
    assert (screenshots / "board.png").stat().st_size > 10_000

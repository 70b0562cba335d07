"""Slack and Teams subscriptions end to end: local receivers get the documented payload shapes for
the events to act on only, in order, escaped, linking to the crisis room, through the same delivery
machinery (retries, the delivery log) as standard webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ledger.config import Settings
from ledger.store.events import EventStore
from ledger.store.policies import PolicyStore
from ledger.workers.breach_watch import watch_tenant
from projections.runner import registry
from tests import clock
from tests.chat_shapes import slack_markup, slack_texts, teams_card, teams_texts
from tests.conftest import FAST_WEBHOOKS, TEST_SIGNING_KEY, Tenant, app_settings, new_tenant
from tests.webhook_receiver import Receiver, wait_until

PUBLIC_URL = "https://ledger.brand.example"
HOSTILE = "<!channel> Refunds & <@U024BE7LH> @here *now* [x](https://evil.example) {{DATE(2020-01-01T00:00:00Z)}}"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return app_settings(signing_key=TEST_SIGNING_KEY, public_url=PUBLIC_URL, **FAST_WEBHOOKS)


WATCH_EVENTS = ("sla_notice", "escalation_suggested")


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _subscribe(client, tenant: Tenant, receiver: Receiver, fmt: str, **body) -> dict:
    r = await client.post(
        "/v1/webhooks", json={"url": receiver.url, "format": fmt, **body}, headers=tenant.auth("admin")
    )
    assert r.status_code == 201, r.text
    assert r.json()["format"] == fmt
    return r.json()


async def _story(client, pool, tenant: Tenant) -> tuple[str, str]:
    """A sev1 with a hostile title whose update clock goes at risk, then resolved; a quiet sev3
    whose reach crosses its escalation threshold. Returns the two incidents' ids."""
    h = tenant.auth()
    now = clock.now()
    body = {
        "title": HOSTILE,
        "severity": "sev1",
        "channel": "x",
        "reach": 40_000,
        "occurred_at": iso(now - timedelta(minutes=70)),
    }
    loud = (await client.post("/v1/incidents", json=body, headers=h)).json()["id"]
    for action, payload, ago in (
        ("acknowledge", {}, 69),
        ("assignments", {"role": "legal", "assignee": "deniz"}, 68),
        ("replies", {"channel": "x", "visibility": "public", "text": "We hear you & we're on it <3 @channel"}, 58),
        ("notes", {"text": "no message for a note"}, 30),
    ):
        r = await client.post(
            f"/v1/incidents/{loud}/{action}",
            json={**payload, "occurred_at": iso(now - timedelta(minutes=ago))},
            headers=h,
        )
        assert r.status_code == 201, r.text
    signal = {"dedup_key": "k", "title": "Quiet thread", "severity": "sev3", "channel": "reddit", "reach": 1_000}
    signal["occurred_at"] = iso(now - timedelta(minutes=5))  # (before the watch's instant, as every event here)
    quiet = (await client.post("/v1/signals", json=signal, headers=h)).json()["incident"]["id"]
    grown = {**signal, "reach": 400_000, "occurred_at": iso(now - timedelta(minutes=4))}
    assert (await client.post("/v1/signals", json=grown, headers=h)).status_code in (200, 201)
    store, policies = EventStore(pool), PolicyStore(pool)
    views = registry(policies)["incident_views"]
    # The update gap (60 min at sev1) falls due in 2 minutes: at risk within a 5-minute window. The
    # watch runs at the story's `now`, not at the time it took the machine to get here: the notice
    # says the time left at its own instant, which must be exactly 2 min (and the statement 58 min old).
    recorded = await watch_tenant(
        pool, store, views, tenant.name, timedelta(minutes=5), clock=lambda: now, policies=policies
    )
    # The update clock's at-risk notice and the escalation suggestion, each recorded once.
    assert recorded == 2
    feed = (await client.get("/v1/events?limit=1000", headers=tenant.auth("read"))).json()["items"]
    recorded_by_watch = sorted((e["type"], e["incident_id"]) for e in feed if e["type"] in WATCH_EVENTS)
    assert recorded_by_watch == sorted([("sla_notice", loud), ("escalation_suggested", quiet)])
    r = await client.post(f"/v1/incidents/{loud}/resolve", json={"summary": "Refunds & recall <b>done</b>"}, headers=h)
    assert r.status_code == 201
    return loud, quiet


async def test_slack_and_teams_get_the_documented_shapes_for_the_events_to_act_on(app_client, pool):
    tenant = await new_tenant(pool, "chat")
    fails_once = Receiver(answer=lambda n, h, b: 500 if n == 1 else 200)
    slack_in, teams_in, standard_in = await fails_once.start(), await Receiver().start(), await Receiver().start()
    try:
        slack_sub = await _subscribe(app_client, tenant, slack_in, "slack")
        await _subscribe(app_client, tenant, teams_in, "teams", event_types=["*"])
        standard = await _subscribe(app_client, tenant, standard_in, "standard")
        standard_in.secret = standard["secret"]
        loud, quiet = await _story(app_client, pool, tenant)
        await wait_until(lambda: len(slack_in.accepted) >= 4 and len(teams_in.accepted) >= 4, 20)
        feed = (await app_client.get("/v1/events?limit=1000", headers=tenant.auth("read"))).json()["items"]
        await wait_until(lambda: len(standard_in.accepted) >= len(feed), 20)

        # Chat gets the detection of the sev1, its at-risk update clock, the suggestion, the resolution, in order.
        to_act_on = {("detected", loud), ("sla_notice", loud), ("escalation_suggested", quiet), ("resolved", loud)}
        wanted = [e for e in feed if (e["type"], e["incident_id"]) in to_act_on]
        # (the watch records the round's escalation suggestions before its notices)
        assert [e["type"] for e in wanted] == ["detected", "escalation_suggested", "sla_notice", "resolved"]
        assert len(slack_in.accepted) == len(teams_in.accepted) == 4
        # The standard subscription still gets every event, signed.
        assert [d.event["id"] for d in standard_in.accepted] == [e["id"] for e in feed] and standard_in.unverified == []

        headlines = []
        for delivery, event in zip(slack_in.accepted, wanted, strict=True):
            assert delivery.headers["content-type"] == "application/json"
            message = delivery.event
            texts = slack_texts(message)
            assert slack_markup(texts) == [], texts
            joined = "\n".join(texts)
            assert "@here" not in joined and "@channel" not in joined
            (button,) = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
            assert button["url"] == f"{PUBLIC_URL}/incidents/{event['incident_id']}"
            headlines.append(message["blocks"][0]["text"]["text"].split(":")[0])
        assert headlines == ["New sev1 incident", "Escalation suggested", "SLA at risk", "Incident resolved"]
        at_risk = slack_in.accepted[2].event
        body = "\n".join(slack_texts(at_risk))
        assert "&lt;!channel&gt; Refunds &amp; &lt;@U024BE7LH&gt;" in body
        assert "Time left*\n2 min" in body and "went out 58 min ago" in body
        assert "We hear you &amp; we're on it &lt;3 @\u200bchannel" in body  # the last statement, escaped
        assert "Post a public update: keep communicating until it is cleared." in body
        assert "Assign the missing roles: incident lead, social responder, communications, executive sponsor." in body

        for delivery, event in zip(teams_in.accepted, wanted, strict=True):
            card = teams_card(delivery.event)
            assert card["actions"][0]["url"] == f"{PUBLIC_URL}/incidents/{event['incident_id']}"
            assert not any(t.startswith("md:") for t in teams_texts(card))
        teams_at_risk = teams_texts(teams_card(teams_in.accepted[2].event))
        assert HOSTILE.replace("{{", "{\u200b{") in teams_at_risk and "2 min" in teams_at_risk
        assert "We hear you & we're on it <3 @channel" in teams_at_risk  # (a TextRun shows it as it is)

        # The same machinery: the failed first attempt was retried, and the log has only real attempts.
        # (an attempt is logged after its answer came back: wait for the last one's bookkeeping)
        log_path = f"/v1/webhooks/{slack_sub['id']}/deliveries"
        attempts: list[tuple[str, bool]] = []
        for _ in range(100):
            log = (await app_client.get(log_path, headers=tenant.auth("admin"))).json()["items"]
            attempts = [(d["event_type"], d["succeeded"]) for d in reversed(log)]
            if len(attempts) >= 5:
                break
            await asyncio.sleep(0.05)
        assert attempts == [
            ("detected", False),
            ("detected", True),
            ("escalation_suggested", True),
            ("sla_notice", True),
            ("resolved", True),
        ]
    finally:
        for receiver in (slack_in, teams_in, standard_in):
            await receiver.stop()


async def test_the_format_is_chosen_changed_and_checked(app_client, pool):
    tenant = await new_tenant(pool, "fmt")
    admin = tenant.auth("admin")
    made = (await app_client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x"}, headers=admin)).json()
    assert made["format"] == "standard"
    path = f"/v1/webhooks/{made['id']}"
    changed = await app_client.patch(path, json={"format": "teams"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["format"] == "teams"
    assert (await app_client.get(path, headers=admin)).json()["format"] == "teams"
    assert (await app_client.patch(path, json={"enabled": False}, headers=admin)).json()["format"] == "teams"
    for bad in ("discord", "", None, 1):
        r = await app_client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "format": bad}, headers=admin)
        assert r.status_code in (400, 422), (bad, r.text)
    assert len((await app_client.get("/v1/webhooks", headers=admin)).json()["items"]) == 1

"""Point in time: `GET /v1/incidents/{id}?as_of=` matches a state rebuilt independently from the history,
at every recorded instant and between them, including what had been said publicly and by whom."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tests.conftest import detect_body, new_tenant


def _replay(history: list[dict], upto: int) -> dict:
    """The state after the first `upto` events, rebuilt here from the API's history (not the service's fold)."""
    state: dict = {"status": None, "severity": None, "holders": set(), "said": [], "version": 0}
    for event in history[:upto]:
        kind, data = event["type"], event["data"]
        state["version"] = event["version"]
        if kind == "detected":
            state["status"], state["severity"] = "open", data["severity"]
        elif kind == "severity_changed":
            state["severity"] = data["severity"]
        elif kind == "resolved":
            state["status"] = "resolved"
        elif kind == "reopened":
            state["status"] = "open"
        elif kind == "assigned":
            state["holders"].add((data["role"], data["assignee"]))
        elif kind == "unassigned":
            state["holders"].discard((data["role"], data["assignee"]))
        elif kind == "replied" and data["visibility"] == "public":
            state["said"].append((data["text"], data["drafted_by"], data["approved_by"], event["actor"], data["url"]))
    return state


async def test_as_of_matches_the_history_at_and_between_every_event(app_client, pool):
    tenant = await new_tenant(pool, "asof")
    created = await app_client.post("/v1/incidents", json=detect_body(severity="sev3"), headers=tenant.auth())
    iid = created.json()["id"]
    steps = [
        ("assignments", {"role": "incident_lead", "assignee": "ayse"}),
        ("replies", {"channel": "x", "visibility": "private", "text": "internal draft"}),
        ("replies", {"channel": "x", "visibility": "public", "text": "We are on it.", "drafted_by": "mehmet",
                     "approved_by": "legal", "url": "https://x.com/brand/status/1", "actor": "social-bot"}),
        ("severity", {"severity": "sev1", "reason": "press"}),
        ("assignments", {"role": "social_responder", "assignee": "can"}),
        ("resolve", {"summary": "fixed"}),
        ("reopen", {"reason": "back"}),
        ("replies", {"channel": "x", "visibility": "public", "text": "Update: still on it."}),
    ]  # fmt: skip
    for action, body in steps:
        r = await app_client.post(f"/v1/incidents/{iid}/{action}", json=body, headers=tenant.auth())
        assert r.status_code == 201, (action, r.text)
    r = await app_client.delete(f"/v1/incidents/{iid}/assignments/incident_lead/ayse", headers=tenant.auth())
    assert r.status_code == 201, r.text
    history = (await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    assert len(history) == 10

    instants = []
    for n, event in enumerate(history, start=1):
        at = datetime.fromisoformat(event["recorded_at"])
        instants.append((at, n))
        # Halfway to the next event: still this state.
        if n < len(history):
            following = datetime.fromisoformat(history[n]["recorded_at"])
            if following - at > timedelta(microseconds=1):
                instants.append((following - timedelta(microseconds=1), n))
    for at, upto in instants:
        r = await app_client.get(f"/v1/incidents/{iid}", params={"as_of": at.isoformat()}, headers=tenant.auth("read"))
        assert r.status_code == 200, r.text
        got, want = r.json(), _replay(history, upto)
        assert r.headers["etag"] == f'"{want["version"]}"'
        assert (got["version"], got["status"], got["severity"]) == (want["version"], want["status"], want["severity"])
        assert {(a["role"], a["assignee"]) for a in got["assignments"]} == want["holders"]
        said = [(s["text"], s["drafted_by"], s["approved_by"], s["sent_by"], s["url"]) for s in got["statements"]]
        assert said == want["said"], (upto, said)
        for s in got["statements"]:
            assert s["text_sha256"] == hashlib.sha256(s["text"].encode()).hexdigest()
            assert datetime.fromisoformat(s["recorded_at"]) <= at

    # Before the detection was recorded, the incident did not exist; long after, it is today's state.
    first = datetime.fromisoformat(history[0]["recorded_at"])
    before = (first - timedelta(microseconds=1)).isoformat()
    r = await app_client.get(f"/v1/incidents/{iid}", params={"as_of": before}, headers=tenant.auth("read"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    now = (await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))).json()
    later = await app_client.get(
        f"/v1/incidents/{iid}", params={"as_of": "2999-01-01T00:00:00Z"}, headers=tenant.auth("read")
    )
    assert {k: v for k, v in later.json().items() if k not in ("sla", "coverage")} == {
        k: v for k, v in now.items() if k not in ("sla", "coverage")
    }
    # Another tenant learns nothing, whatever the time.
    other = await new_tenant(pool, "asof")
    r = await app_client.get(
        f"/v1/incidents/{iid}", params={"as_of": "2999-01-01T00:00:00Z"}, headers=other.auth("read")
    )
    assert r.status_code == 404


async def test_statement_provenance_is_in_the_hashed_event_and_the_incident(app_client, pool):
    tenant = await new_tenant(pool, "asof")
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
    reply = {"channel": "x", "visibility": "public", "text": "Sorry — we are fixing it.", "drafted_by": "mehmet",
             "approved_by": "legal@brand", "url": "https://x.com/brand/status/42", "in_reply_to": "41",
             "actor": "ayse"}  # fmt: skip
    event = (await app_client.post(f"/v1/incidents/{iid}/replies", json=reply, headers=tenant.auth())).json()
    assert event["data"]["text_sha256"] == hashlib.sha256(reply["text"].encode()).hexdigest()
    for field in ("drafted_by", "approved_by", "url", "in_reply_to"):
        assert event["data"][field] == reply[field]
    assert event["actor"] == "ayse" and event["recorded_by"] == "write-key"
    statement = (await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))).json()["statements"][0]
    assert statement["event_id"] == event["id"] and statement["sent_by"] == "ayse"
    assert statement["sent_at"] == event["occurred_at"] and statement["recorded_by"] == "write-key"
    # The hash covers the provenance: verify recomputes it from these very fields.
    report = (await app_client.get("/v1/audit/verify", headers=tenant.auth("read"))).json()
    assert report["ok"] is True and report["checked"] == 2

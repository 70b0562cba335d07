"""Reply review through the API: the review endpoint, the gate on recorded replies, the review
kept on the `replied` event, the plan's own words and holding statements."""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

from typing import Any

from ledger.domain.review import RULES_VERSION
from tests.conftest import Tenant, detect_body, new_tenant

HOSTILE = "SHUT UP, this is NOT our fault!!! You people clearly cannot read the manual."
KIND = "We are sorry for the trouble. Please DM us your order number and we will fix it today."
TURKISH = "Siz kullanmayı bilmiyorsunuz, sorun sizde. Bizim hatamız değil!!!"


async def _incident(app_client, tenant: Tenant, severity: str = "sev1") -> str:
    r = await app_client.post("/v1/incidents", json=detect_body(severity=severity), headers=tenant.auth())
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _reply(app_client, tenant: Tenant, incident: str, **body: Any):
    payload = {"channel": "x", "visibility": "public", **body}
    return await app_client.post(f"/v1/incidents/{incident}/replies", json=payload, headers=tenant.auth())


async def _head(app_client, tenant: Tenant) -> int:
    feed = (await app_client.get("/v1/events?after=0&limit=1000", headers=tenant.auth("read"))).json()
    return len(feed["items"])


async def test_the_review_endpoint_explains_each_finding(app_client, tenant):
    before = await _head(app_client, tenant)
    r = await app_client.post("/v1/replies/review", json={"text": HOSTILE}, headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["verdict"], out["language"], out["fits"]) == ("flagged", "en", True)
    assert out["weighted_length"] == len(HOSTILE) and out["rules"] == RULES_VERSION
    assert out["require_approval"] is True
    kinds = {f["kind"] for f in out["findings"] if f["level"] == "problem"}
    assert {"shouting", "aggressive"} <= kinds
    for finding in out["findings"]:
        assert HOSTILE[finding["start"] : finding["end"]] == finding["excerpt"]
        assert finding["message"]
    assert await _head(app_client, tenant) == before  # writes nothing


async def test_a_kind_reply_passes_and_turkish_is_detected(app_client, tenant):
    ok = (await app_client.post("/v1/replies/review", json={"text": KIND}, headers=tenant.auth("read"))).json()
    assert ok["verdict"] == "ok" and not [f for f in ok["findings"] if f["level"] == "problem"]
    tr = (await app_client.post("/v1/replies/review", json={"text": TURKISH}, headers=tenant.auth("read"))).json()
    assert (tr["language"], tr["verdict"]) == ("tr", "flagged")


async def test_an_incident_of_another_tenant_is_not_found(app_client, pool, tenant):
    other = await new_tenant(pool, "other")
    incident = await _incident(app_client, other)
    body = {"text": KIND, "incident_id": incident}
    r = await app_client.post("/v1/replies/review", json=body, headers=tenant.auth("read"))
    assert r.status_code == 404 and r.json()["type"] == "urn:crisis-ledger:problem:not-found"
    mine = await app_client.post("/v1/replies/review", json=body, headers=other.auth("read"))
    assert mine.status_code == 200


async def test_bad_review_bodies_are_problems(app_client, tenant):
    for body in ({}, {"text": ""}, {"text": "x", "language": "de"}, {"text": "x", "extra": 1}):
        r = await app_client.post("/v1/replies/review", json=body, headers=tenant.auth("read"))
        assert r.status_code in (400, 422), (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_flagged_public_reply_needs_approval_and_writes_nothing_without(app_client, tenant):
    incident = await _incident(app_client, tenant)
    before = await _head(app_client, tenant)
    r = await _reply(app_client, tenant, incident, text=HOSTILE)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "urn:crisis-ledger:problem:reply-flagged"
    assert problem["rules"] == RULES_VERSION and problem["language"] == "en"
    assert {"shouting", "aggressive"} <= {f["kind"] for f in problem["findings"]}
    assert await _head(app_client, tenant) == before
    approved = await _reply(app_client, tenant, incident, text=HOSTILE, approved_by="legal@brand.example")
    assert approved.status_code == 201, approved.text
    review = approved.json()["data"]["review"]
    assert review["verdict"] == "flagged" and review["rules"] == RULES_VERSION
    assert {"shouting", "aggressive"} <= set(review["kinds"])


async def test_a_kind_reply_records_its_review(app_client, tenant):
    incident = await _incident(app_client, tenant)
    r = await _reply(app_client, tenant, incident, text=KIND)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["review"] == {
        "verdict": "ok",
        "kinds": [],
        "advice": [],
        "language": "en",
        "rules": RULES_VERSION,
    }
    history = (await app_client.get(f"/v1/incidents/{incident}/events", headers=tenant.auth("read"))).json()
    assert history["items"][-1]["data"]["review"]["verdict"] == "ok"


async def test_a_private_flagged_reply_is_recorded_with_its_verdict(app_client, tenant):
    incident = await _incident(app_client, tenant)
    r = await _reply(app_client, tenant, incident, text=HOSTILE, visibility="private")
    assert r.status_code == 201, r.text
    assert r.json()["data"]["review"]["verdict"] == "flagged"


async def _put_plan(app_client, tenant: Tenant, **changes: Any):
    policy = (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()
    policy.update(changes)
    return await app_client.put("/v1/policy", json=policy, headers=tenant.auth("admin"))


async def test_a_plan_can_turn_the_gate_off(app_client, tenant):
    incident = await _incident(app_client, tenant)
    off = {"require_approval_when_flagged": False, "terms": {}, "allow": []}
    assert (await _put_plan(app_client, tenant, reply_review=off)).status_code == 200
    r = await _reply(app_client, tenant, incident, text=HOSTILE)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["review"]["verdict"] == "flagged"
    draft = (await app_client.post("/v1/replies/review", json={"text": HOSTILE}, headers=tenant.auth("read"))).json()
    assert draft["verdict"] == "flagged" and draft["require_approval"] is False


async def test_the_tenants_own_terms_and_allowances(app_client, tenant):
    # (A plain fact the review passes, so that only the tenant's term can flag it; "Sorry, policy says no
    # refunds." was the phrase here until batch 21, and a bare refusal is rightly flagged now.)
    phrase = "refunds take five working days"
    before = (
        await app_client.post("/v1/replies/review", json={"text": f"Sorry, {phrase}."}, headers=tenant.auth("read"))
    ).json()
    assert before["verdict"] == "ok"
    words = {"require_approval_when_flagged": True, "terms": {"dismissive": [phrase]}, "allow": []}
    assert (await _put_plan(app_client, tenant, reply_review=words)).status_code == 200
    after = (
        await app_client.post("/v1/replies/review", json={"text": f"Sorry, {phrase}."}, headers=tenant.auth("read"))
    ).json()
    assert after["verdict"] == "flagged"
    (finding,) = [f for f in after["findings"] if f["level"] == "problem"]
    assert (finding["kind"], finding["excerpt"].lower()) == ("dismissive", phrase)


async def test_holding_statements_round_trip_and_replies_name_them(app_client, tenant):
    statements = [
        {"id": "recall-en", "scenario": "product-defect", "language": "en", "text": KIND},
        {"id": "recall-tr", "scenario": "product-defect", "language": "tr", "text": "Yaşanan sorun için özür dileriz."},
    ]
    put = await _put_plan(app_client, tenant, holding_statements=statements)
    assert put.status_code == 200, put.text
    assert put.json()["holding_statements"] == statements
    assert (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()["holding_statements"] == statements
    incident = await _incident(app_client, tenant)
    r = await _reply(app_client, tenant, incident, text=KIND, template_id="recall-en")
    assert r.status_code == 201 and r.json()["data"]["template_id"] == "recall-en"
    unknown = await _reply(app_client, tenant, incident, text=KIND, template_id="nope")
    assert unknown.status_code == 422 and unknown.json()["type"] == "urn:crisis-ledger:problem:invalid-value"


async def test_the_plan_refuses_bad_review_settings_and_statements(app_client, tenant):
    bad_kind = {"require_approval_when_flagged": True, "terms": {"rude": ["x"]}, "allow": []}
    r = await _put_plan(app_client, tenant, reply_review=bad_kind)
    assert r.status_code == 422 and "unknown kind 'rude'" in r.text
    twice = [{"id": "a", "text": "one"}, {"id": "a", "text": "two"}]
    r = await _put_plan(app_client, tenant, holding_statements=twice)
    assert r.status_code == 422 and "duplicate id 'a'" in r.text
    assert (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()["version"] == 0

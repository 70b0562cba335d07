"""Public statements paged: the incident carries the latest few and their count; a client pages
through all of them, each once, in recorded order."""

from __future__ import annotations

import uuid

from ledger.service.incident_reads import LATEST_STATEMENTS
from tests.conftest import detect_body, new_tenant


async def _incident_with_statements(app_client, tenant, public: int) -> tuple[str, list[int]]:
    """An incident with `public` public replies among private ones and notes; their versions."""
    h = tenant.auth("write")
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=h)
    iid = r.json()["id"]
    said = []
    for n in range(public):
        if n % 3 == 0:
            body = {"channel": "x", "visibility": "private", "text": f"dm {n}: please send us your order number"}
            assert (await app_client.post(f"/v1/incidents/{iid}/replies", json=body, headers=h)).status_code == 201
        if n % 4 == 0:
            await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": f"note {n}"}, headers=h)
        body = {"channel": "x", "visibility": "public", "text": f"Update {n}: we are replacing the chargers."}
        r = await app_client.post(f"/v1/incidents/{iid}/replies", json=body, headers=h)
        assert r.status_code == 201, r.text
        said.append(r.json()["version"])
    return iid, said


async def test_a_client_pages_through_every_statement_once_in_order(app_client, tenant):
    iid, said = await _incident_with_statements(app_client, tenant, 45)
    read = (await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))).json()
    assert read["statements_count"] == 45
    assert [s["version"] for s in read["statements"]] == said[-LATEST_STATEMENTS:]

    seen: list[int] = []
    texts: list[str] = []
    after, pages = 0, 0
    while after is not None:
        r = await app_client.get(
            f"/v1/incidents/{iid}/statements", params={"after": after, "limit": 7}, headers=tenant.auth("read")
        )
        assert r.status_code == 200
        page = r.json()
        seen += [s["version"] for s in page["items"]]
        texts += [s["text"] for s in page["items"]]
        after, pages = page["next"], pages + 1
    assert seen == said and pages == 7  # (45 = 6 pages of 7 and one of 3)
    assert texts == [f"Update {n}: we are replacing the chargers." for n in range(45)]

    past = await app_client.get(f"/v1/incidents/{iid}/statements?after={said[-1]}", headers=tenant.auth("read"))
    assert past.status_code == 200 and past.json() == {"items": [], "next": None}
    # A full last page says where to ask next; that answers the empty page.
    exact = await app_client.get(f"/v1/incidents/{iid}/statements?after={said[-6]}&limit=5", headers=tenant.auth())
    assert exact.json()["next"] == said[-1]


async def test_statements_of_an_unknown_or_another_tenants_incident_are_404(app_client, tenant, pool):
    iid, _ = await _incident_with_statements(app_client, tenant, 1)
    stranger = await new_tenant(pool)
    for path, headers in (
        (f"/v1/incidents/{uuid.uuid4()}/statements", tenant.auth("read")),
        (f"/v1/incidents/{iid}/statements", stranger.auth("read")),
    ):
        r = await app_client.get(path, headers=headers)
        assert r.status_code == 404 and r.json()["type"].endswith("not-found")
    bad = await app_client.get(f"/v1/incidents/{iid}/statements?limit=501", headers=tenant.auth("read"))
    assert bad.status_code == 400


async def test_an_incident_as_of_then_counts_the_statements_said_by_then(app_client, tenant):
    iid, said = await _incident_with_statements(app_client, tenant, 25)
    events = (await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    then = next(e for e in events if e["version"] == said[22])["recorded_at"]
    read = (await app_client.get(f"/v1/incidents/{iid}", params={"as_of": then}, headers=tenant.auth())).json()
    assert read["statements_count"] == 23
    assert [s["version"] for s in read["statements"]] == said[3:23]

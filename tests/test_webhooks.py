"""Webhooks: subscriptions, signed in-order at-least-once delivery, retries, the log, SSRF refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.http.app import create_app
from ledger.webhooks.delivery import RetryPolicy, retry_after, retry_delay
from ledger.webhooks.ssrf import Refused, forbidden, resolve
from tests.conftest import FAST_WEBHOOKS, Tenant, app_settings, detect_body, new_tenant
from tests.webhook_receiver import Receiver, wait_until


@pytest.fixture(scope="module")
def settings() -> Settings:
    return app_settings(**FAST_WEBHOOKS)


async def _subscribe(client, tenant: Tenant, receiver: Receiver, **body) -> dict:
    r = await client.post("/v1/webhooks", json={"url": receiver.url, **body}, headers=tenant.auth("admin"))
    assert r.status_code == 201, r.text
    created = r.json()
    receiver.secret = created["secret"]
    return created


async def _feed(client, tenant: Tenant, after: int = 0) -> list[dict]:
    events: list[dict] = []
    while True:
        page = (await client.get(f"/v1/events?after={after}&limit=1000", headers=tenant.auth("read"))).json()
        events += page["items"]
        if page["next"] is None:
            return events
        after = page["next"]


async def test_crud_secret_is_shown_once_and_disable_enable(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    admin = tenant.auth("admin")
    receiver = await Receiver().start()
    try:
        created = await _subscribe(app_client, tenant, receiver, event_types=["replied", "sla_notice"])
        assert created["secret"].startswith("whsec_")
        assert created["event_types"] == ["replied", "sla_notice"] and created["enabled"] is True
        wid = created["id"]

        one = await app_client.get(f"/v1/webhooks/{wid}", headers=admin)
        assert one.status_code == 200 and "secret" not in one.json()
        listed = (await app_client.get("/v1/webhooks", headers=admin)).json()
        assert [w["id"] for w in listed["items"]] == [wid] and "secret" not in listed["items"][0]

        off = await app_client.patch(f"/v1/webhooks/{wid}", json={"enabled": False}, headers=admin)
        assert off.status_code == 200 and off.json()["enabled"] is False
        assert "admin-key" in off.json()["disabled_reason"]
        on = await app_client.patch(f"/v1/webhooks/{wid}", json={"enabled": True, "event_types": ["*"]}, headers=admin)
        assert on.json()["enabled"] is True and on.json()["disabled_reason"] is None
        assert on.json()["event_types"] == ["*"]

        gone = await app_client.delete(f"/v1/webhooks/{wid}", headers=admin)
        assert gone.status_code == 204
        assert (await app_client.get(f"/v1/webhooks/{wid}", headers=admin)).status_code == 404
    finally:
        await receiver.stop()


async def test_webhooks_need_the_admin_scope_and_stay_in_their_tenant(app_client, pool):
    tenant, other = await new_tenant(pool, "wh"), await new_tenant(pool, "wh")
    body = {"url": "http://127.0.0.1:9/x"}
    assert (await app_client.post("/v1/webhooks", json=body, headers=tenant.auth("write"))).status_code == 403
    created = (await app_client.post("/v1/webhooks", json=body, headers=tenant.auth("admin"))).json()
    for method in ("GET", "DELETE"):
        r = await app_client.request(method, f"/v1/webhooks/{created['id']}", headers=other.auth("admin"))
        assert r.status_code == 404
    assert (await app_client.get("/v1/webhooks", headers=other.auth("admin"))).json()["items"] == []


async def test_a_retried_subscription_with_its_idempotency_key_creates_one(app_client, pool):
    """Stripe-style: the retry answers the first 201 itself, secret included (only to an admin key
    of the tenant, which could read the same key's answer the first time)."""
    tenant = await new_tenant(pool, "wh")
    headers = {**tenant.auth("admin"), "Idempotency-Key": "subscribe-1"}
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["replied"]}
    answers = await asyncio.gather(*(app_client.post("/v1/webhooks", json=body, headers=headers) for _ in range(6)))
    first = answers[0]
    assert first.status_code == 201, first.text
    answers.append(await app_client.post("/v1/webhooks", json=body, headers=headers))
    for again in answers:
        assert again.status_code == 201
        assert again.json() == first.json() and again.json()["secret"].startswith("whsec_")
        assert again.headers["location"] == first.headers["location"]
    listed = (await app_client.get("/v1/webhooks", headers=tenant.auth("admin"))).json()["items"]
    assert [w["id"] for w in listed] == [first.json()["id"]]
    feed = (await app_client.get("/v1/events", headers=tenant.auth("read"))).json()["items"]
    assert feed == []  # (configuration, not a crisis fact: no event, no feed position)

    reused = await app_client.post("/v1/webhooks", json={**body, "event_types": ["*"]}, headers=headers)
    assert reused.status_code == 422 and reused.json()["type"].endswith("idempotency-key-reused")
    detect = await app_client.post("/v1/incidents", json=detect_body(), headers={**headers, **tenant.auth()})
    assert detect.status_code == 422 and detect.json()["type"].endswith("idempotency-key-reused")
    assert len((await app_client.get("/v1/webhooks", headers=tenant.auth("admin"))).json()["items"]) == 1


async def test_the_other_webhook_writes_honour_the_idempotency_key(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    admin = tenant.auth("admin")
    created = (await app_client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/a"}, headers=admin)).json()
    path = f"/v1/webhooks/{created['id']}"
    disable = {**admin, "Idempotency-Key": "disable-1"}
    first = await app_client.patch(path, json={"enabled": False}, headers=disable)
    assert first.status_code == 200 and first.json()["disabled_reason"] == "disabled by admin-key"
    enabled = await app_client.patch(path, json={"enabled": True}, headers=admin)
    assert enabled.json()["enabled"] is True
    again = await app_client.patch(path, json={"enabled": False}, headers=disable)
    assert again.status_code == 200 and again.json() == first.json()  # (the first answer, not a second disable)
    assert (await app_client.get(path, headers=admin)).json()["enabled"] is True

    gone = {**admin, "Idempotency-Key": "delete-1"}
    assert (await app_client.delete(path, headers=gone)).status_code == 204
    assert (await app_client.delete(path, headers=gone)).status_code == 204  # (a retry, not a 404)
    assert (await app_client.delete(path, headers=admin)).status_code == 404


async def test_redelivery_of_a_disabled_subscription_is_409_and_writes_nothing(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    admin = tenant.auth("admin")
    created = (
        await app_client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/a", "enabled": False}, headers=admin)
    ).json()
    r = await app_client.post(
        f"/v1/webhooks/{created['id']}/redeliver", json={"after": 0}, headers={**admin, "Idempotency-Key": "r-1"}
    )
    assert r.status_code == 409
    assert r.json()["type"].endswith("webhook-disabled") and r.json()["title"] == "The webhook is disabled"
    key = await pool.fetchval("SELECT key FROM idempotency_keys WHERE tenant_id = $1 AND key = 'r-1'", tenant.name)
    assert key is None  # (a refused write keeps no key: the same request may be retried once enabled)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://127.0.0.1:1/x", "event_types": ["no_such_type"]},
        {"url": "http://127.0.0.1:1/x", "event_types": []},
        {"url": "ftp://example.com/x"},
        {"url": "http://127.0.0.1:1/x", "secret": "mine"},
    ],
)
async def test_bad_subscriptions_are_refused_and_nothing_is_created(app_client, pool, body):
    tenant = await new_tenant(pool, "wh")
    r = await app_client.post("/v1/webhooks", json=body, headers=tenant.auth("admin"))
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await app_client.get("/v1/webhooks", headers=tenant.auth("admin"))).json()["items"] == []


async def test_every_event_arrives_signed_in_order_once_successfully_despite_failures(app_client, pool):
    tenant = await new_tenant(pool, "wh")

    def answer(n: int, headers: dict, body: bytes) -> int | tuple[int, dict]:
        if n == 1:
            return 500
        if n == 2:
            return 429, {"Retry-After": "0"}
        if n == 3:
            return 503
        return 200

    receiver = await Receiver(answer=answer).start()
    try:
        created = await _subscribe(app_client, tenant, receiver)
        r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
        iid = r.json()["id"]
        for i in range(12):
            await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": f"n{i}"}, headers=tenant.auth())
        feed = await _feed(app_client, tenant)
        await wait_until(lambda: len(receiver.accepted) >= len(feed), 20)

        assert receiver.unverified == []
        delivered = [d.event for d in receiver.accepted]
        assert [e["position"] for e in delivered] == [e["position"] for e in feed]
        assert delivered == feed  # the body is the event exactly as the API returns it
        assert all(d.headers["webhook-id"] == d.event["id"] for d in receiver.accepted)
        # The first event was tried four times (500, 429, 503, then 200), with the same webhook-id.
        first_id = feed[0]["id"]
        assert [d.status for d in receiver.attempts if d.event["id"] == first_id] == [500, 429, 503, 200]

        log = await app_client.get(f"/v1/webhooks/{created['id']}/deliveries?limit=500", headers=tenant.auth("admin"))
        entries = log.json()["items"]
        of_first = sorted((e for e in entries if e["event_id"] == first_id), key=lambda e: e["attempt"])
        assert [(e["attempt"], e["status_code"], e["succeeded"]) for e in of_first] == [
            (1, 500, False),
            (2, 429, False),
            (3, 503, False),
            (4, 200, True),
        ]
        assert all(e["latency_ms"] is not None and e["started_at"] for e in of_first)
        assert of_first[0]["error"] == "HTTP 500" and of_first[0]["next_attempt_at"] is not None
        state = (await app_client.get(f"/v1/webhooks/{created['id']}", headers=tenant.auth("admin"))).json()
        assert state["next_position"] == feed[-1]["position"] + 1 and state["failing_since"] is None
    finally:
        await receiver.stop()


async def test_event_type_filter_and_sla_notices(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    receiver = await Receiver().start()
    try:
        await _subscribe(app_client, tenant, receiver, event_types=["replied", "resolved"])
        iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
        await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "internal"}, headers=tenant.auth())
        reply = {"channel": "x", "visibility": "public", "text": "We are on it."}
        await app_client.post(f"/v1/incidents/{iid}/replies", json=reply, headers=tenant.auth())
        await app_client.post(f"/v1/incidents/{iid}/resolve", json={"summary": "done"}, headers=tenant.auth())
        await wait_until(lambda: len(receiver.accepted) >= 2, 10)
        await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())  # not wanted
        assert [d.event["type"] for d in receiver.accepted] == ["replied", "resolved"]
    finally:
        await receiver.stop()


async def test_a_receiver_that_was_down_gets_everything_when_back(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    receiver = await Receiver().start()
    try:
        created = await _subscribe(app_client, tenant, receiver)
        await receiver.stop()  # down: connection refused
        iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
        for i in range(5):
            await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": f"n{i}"}, headers=tenant.auth())
        admin = tenant.auth("admin")
        url = f"/v1/webhooks/{created['id']}"

        async def failing() -> bool:
            return (await app_client.get(url, headers=admin)).json()["failing_since"] is not None

        for _ in range(100):
            if await failing():
                break
            await asyncio.sleep(0.05)
        entries = (await app_client.get(f"{url}/deliveries", headers=admin)).json()["items"]
        assert entries and entries[0]["succeeded"] is False and entries[0]["status_code"] is None
        assert "Connect" in entries[0]["error"]

        await receiver.start(receiver.port)
        feed = await _feed(app_client, tenant)
        await wait_until(lambda: len(receiver.accepted) >= len(feed), 20)
        assert [d.event["position"] for d in receiver.accepted] == [e["position"] for e in feed]
    finally:
        await receiver.stop()


async def test_manual_redelivery_sends_again_in_order(app_client, pool):
    tenant = await new_tenant(pool, "wh")
    receiver = await Receiver().start()
    try:
        created = await _subscribe(app_client, tenant, receiver)
        iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
        for i in range(3):
            await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": f"n{i}"}, headers=tenant.auth())
        feed = await _feed(app_client, tenant)
        await wait_until(lambda: len(receiver.accepted) >= 4, 10)
        after = feed[1]["position"]
        r = await app_client.post(
            f"/v1/webhooks/{created['id']}/redeliver", json={"after": after}, headers=tenant.auth("admin")
        )
        assert r.status_code == 200 and r.json()["next_position"] == after + 1
        await wait_until(lambda: len(receiver.accepted) >= 6, 10)
        positions = [d.event["position"] for d in receiver.accepted]
        assert positions == [e["position"] for e in feed] + [e["position"] for e in feed[2:]]
    finally:
        await receiver.stop()


async def test_gone_disables_at_once_and_endless_failure_disables_with_the_reason(pool, settings):
    quick = Settings(**{**settings.__dict__, "webhook_disable_after_s": 0.5})
    app = create_app(quick, pool=pool)
    tenant = await new_tenant(pool, "wh")
    gone = await Receiver(answer=lambda n, h, b: 410).start()
    broken = await Receiver(answer=lambda n, h, b: 500).start()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
                a = await _subscribe(client, tenant, gone)
                b = await _subscribe(client, tenant, broken)
                await client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())

                async def state(wid: str) -> dict:
                    return (await client.get(f"/v1/webhooks/{wid}", headers=tenant.auth("admin"))).json()

                for _ in range(200):
                    if not (await state(a["id"]))["enabled"] and not (await state(b["id"]))["enabled"]:
                        break
                    await asyncio.sleep(0.05)
                sa, sb = await state(a["id"]), await state(b["id"])
                assert sa["enabled"] is False and "410" in sa["disabled_reason"]
                assert len(gone.attempts) == 1
                assert sb["enabled"] is False and "failing since" in sb["disabled_reason"]
                assert "HTTP 500" in sb["disabled_reason"] and len(broken.attempts) >= 2
                r = await client.post(
                    f"/v1/webhooks/{b['id']}/redeliver", json={"after": 0}, headers=tenant.auth("admin")
                )
                assert r.status_code == 409
    finally:
        await gone.stop()
        await broken.stop()


async def test_private_destinations_are_refused_unless_allowed(pool, settings):
    strict = Settings(**{**settings.__dict__, "webhook_allow_private": False})
    app = create_app(strict, pool=pool)
    tenant = await new_tenant(pool, "wh")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
            for url in (
                "http://127.0.0.1:8080/x",
                "http://localhost/x",
                "http://10.1.2.3/x",
                "http://192.168.0.10/x",
                "http://169.254.169.254/latest/meta-data",
                "http://[::1]/x",
                "http://[::ffff:127.0.0.1]/x",
                "http://0.0.0.0/x",
            ):
                r = await client.post("/v1/webhooks", json={"url": url}, headers=tenant.auth("admin"))
                assert r.status_code == 422, (url, r.text)
                assert r.json()["type"].endswith(":webhook-url-refused"), url
            ok = await client.post(
                "/v1/webhooks", json={"url": "https://93.184.216.34/hook"}, headers=tenant.auth("admin")
            )
            assert ok.status_code == 201, ok.text
            wid = ok.json()["id"]
            r = await client.patch(
                f"/v1/webhooks/{wid}", json={"url": "http://127.0.0.1/x"}, headers=tenant.auth("admin")
            )
            assert r.status_code == 422
            still = await client.get(f"/v1/webhooks/{wid}", headers=tenant.auth("admin"))
            assert still.json()["url"] == "https://93.184.216.34/hook"


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:10.0.0.1", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_forbidden_addresses(address, refused):
    import ipaddress

    assert forbidden(ipaddress.ip_address(address)) is refused


async def test_resolve_refuses_credentials_and_odd_schemes():
    with pytest.raises(Refused):
        await resolve("http://user:pw@93.184.216.34/x", allow_private=False)
    with pytest.raises(Refused):
        await resolve("gopher://93.184.216.34/x", allow_private=False)
    target = await resolve("https://93.184.216.34:8443/x", allow_private=False)
    assert (target.address, target.port, target.scheme) == ("93.184.216.34", 8443, "https")


def test_retry_delay_backs_off_exponentially_with_jitter_and_honours_retry_after():
    policy = RetryPolicy(base_s=5, max_s=3600, disable_after_s=86400)
    for failures in range(1, 15):
        exp = min(3600, 5 * 2 ** (failures - 1))
        for _ in range(50):
            delay = retry_delay(failures, policy)
            assert exp / 2 <= delay <= exp
    assert retry_delay(1, policy, retry_after_s=120) >= 120
    assert retry_delay(1, policy, retry_after_s=10**9) <= 3600
    # The first three retries come within about a minute; over 24 hours there are many more.
    assert sum(min(3600, 5 * 2 ** (n - 1)) for n in range(1, 4)) <= 60
    total, n = 0.0, 0
    while total < 86400:
        n += 1
        total += retry_delay(n, policy)
    assert n > 20


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert retry_after("30", now) == 30
    assert retry_after("Tue, 24 Nov 2026 12:01:00 GMT", now) == 60
    assert retry_after("garbage", now) is None
    assert retry_after(None, now) is None

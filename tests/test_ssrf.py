"""The SSRF guard against every IPv6 form that maps or tunnels to a refused IPv4 address, and the
deprecated site-local range: as a pure check and through POST /v1/webhooks (422)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.http.app import create_app
from ledger.webhooks.ssrf import embedded_ipv4, forbidden
from tests.conftest import new_tenant

REFUSED_V4 = ("127.0.0.1", "10.0.0.1", "169.254.169.254")


def _v6(value: int) -> str:
    return str(ipaddress.IPv6Address(value))


def ipv6_forms(v4: str) -> dict[str, str]:
    """Each IPv6 spelling of `v4` that reaches it (built, not hand-written, so each is right)."""
    n = int(ipaddress.IPv4Address(v4))
    teredo_server = int(ipaddress.IPv4Address("65.54.227.120"))  # a public Teredo server
    return {
        "ipv4-mapped": _v6(0xFFFF << 32 | n),
        "ipv4-compatible": _v6(n),
        "ipv4-translated": _v6(0xFFFF << 48 | n),
        "6to4": _v6(0x2002 << 112 | n << 80 | 1),
        "teredo-client": _v6(0x2001 << 112 | teredo_server << 64 | (n ^ 0xFFFFFFFF)),
        "teredo-server": _v6(0x2001 << 112 | n << 64 | (int(ipaddress.IPv4Address("93.184.216.34")) ^ 0xFFFFFFFF)),
        "nat64": _v6(0x64FF9B << 96 | n),
        "nat64-local-use": _v6(0x64FF9B0001 << 80 | n << 16),
    }


FORMS = [(v4, kind, form) for v4 in REFUSED_V4 for kind, form in ipv6_forms(v4).items()]


def test_the_forms_are_what_they_claim():
    # The stdlib agrees on the forms it knows, so the table above is not a typo away from passing.
    forms = ipv6_forms("10.0.0.1")
    assert ipaddress.IPv6Address(forms["ipv4-mapped"]).ipv4_mapped == ipaddress.IPv4Address("10.0.0.1")
    assert ipaddress.IPv6Address(forms["6to4"]).sixtofour == ipaddress.IPv4Address("10.0.0.1")
    assert ipaddress.IPv6Address(forms["teredo-client"]).teredo[1] == ipaddress.IPv4Address("10.0.0.1")
    assert ipaddress.IPv6Address(forms["teredo-server"]).teredo[0] == ipaddress.IPv4Address("10.0.0.1")
    assert forms["nat64"] == "64:ff9b::a00:1"
    assert ipv6_forms("127.0.0.1")["6to4"] == "2002:7f00:1::1"


@pytest.mark.parametrize(("v4", "kind", "form"), FORMS, ids=[f"{k}-{v}" for v, k, _ in FORMS])
def test_every_ipv6_form_of_a_refused_ipv4_address_is_refused(v4, kind, form):
    address = ipaddress.IPv6Address(form)
    assert forbidden(address), (kind, form)
    if kind not in {"nat64-local-use"}:
        assert ipaddress.IPv4Address(v4) in embedded_ipv4(address), (kind, form)


@pytest.mark.parametrize("address", ["fec0::1", "feff:ffff::1", "2002:7f00:1::", "2002:a9fe:a9fe::"])
def test_site_local_and_the_probes_6to4_forms_are_refused(address):
    assert forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
        "2002:5db8:d822::1",  # 6to4 of the public 93.184.216.34
        "2a00:1450:4001:82a::200e",
    ],
)
def test_public_addresses_and_forms_of_them_are_allowed(address):
    assert not forbidden(ipaddress.ip_address(address))


async def test_the_api_refuses_each_form_with_422_and_takes_public_ones(pool, settings):
    strict = type(settings)(**{**settings.__dict__, "webhook_allow_private": False})
    app = create_app(strict, pool=pool)
    tenant = await new_tenant(pool, "ssrf")
    urls = [
        "http://[2002:7f00:1::]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://[fec0::1]/",
        *(f"http://[{form}]/hook" for _, _, form in FORMS),
    ]
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
            for url in urls:
                r = await client.post("/v1/webhooks", json={"url": url}, headers=tenant.auth("admin"))
                assert r.status_code == 422, (url, r.text)
                assert r.json()["type"].endswith(":webhook-url-refused"), url
            for url in ("https://[2002:5db8:d822::1]/hook", "https://[2606:2800:220:1:248:1893:25c8:1946]/hook"):
                r = await client.post("/v1/webhooks", json={"url": url}, headers=tenant.auth("admin"))
                assert r.status_code == 201, (url, r.text)

"""The SSRF guard: webhook destinations must be public http(s) addresses, checked after DNS resolution.

Checked when a subscription is created or changed and again before every attempt; the attempt then
connects to the address that was checked (the Host header and TLS name stay the URL's), so a DNS
answer that changes between the check and the connection cannot redirect a delivery inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ledger.domain.errors import InvalidValue

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(InvalidValue):
    """The destination is not allowed (scheme, or an address that is not public)."""

    kind = "webhook-url-refused"
    title = "Webhook URL refused"


@dataclass(frozen=True)
class Target:
    """Where to connect: the URL's host and port, and the checked address to use."""

    scheme: str
    host: str
    port: int
    address: str


def forbidden(ip: IPAddress) -> bool:
    """True for loopback, private, link-local, multicast, reserved, unspecified and other non-global addresses."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def resolve(url: str, *, allow_private: bool, timeout_s: float = 5.0) -> Target:
    """Check `url` and resolve its host; raise Refused when it may not be called."""
    try:
        parts = urlsplit(url)
        httpx.URL(url)  # what the delivery will parse
    except (ValueError, httpx.InvalidURL) as exc:
        raise Refused(f"the URL is malformed: {exc}", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise Refused("only http and https URLs are allowed", field="url")
    try:
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(f"the URL is malformed: {exc}", field="url") from None
    if not host:
        raise Refused("the URL has no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL are not allowed", field="url")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout_s)
        except (OSError, TimeoutError, UnicodeError, ValueError):
            # (UnicodeError: a host name IDNA cannot encode.)
            raise Refused(f"the host {host!r} does not resolve", field="url") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        if not addresses:
            raise Refused(f"the host {host!r} does not resolve", field="url")
    if not allow_private:
        bad = [str(a) for a in addresses if forbidden(a)]
        if bad:
            raise Refused(
                f"the host {host!r} resolves to a non-public address ({', '.join(bad)}); "
                "set LEDGER_WEBHOOK_ALLOW_PRIVATE=true to allow it",
                field="url",
            )
    return Target(scheme=scheme, host=host, port=port, address=str(addresses[0]))

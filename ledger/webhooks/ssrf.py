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


# IPv6 prefixes whose last 32 bits are an IPv4 address that the packet reaches: NAT64's
# well-known prefix (RFC 6052), IPv4-compatible addresses (RFC 4291, deprecated) and
# IPv4-translated ones (RFC 2765). The standard library names no property for these (it has
# `ipv4_mapped`, `sixtofour` and `teredo`, used below).
_EMBEDS_LAST_32_BITS = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
# IPv6 ranges refused whole: NAT64's local-use prefix (RFC 8215), whose translators may embed
# the IPv4 address at any of several offsets, so no one reading of it is the address reached.
_REFUSED_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"),)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address maps or tunnels to: IPv4-mapped, 6to4, Teredo (server and
    client), NAT64 and IPv4-compatible forms."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _EMBEDS_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _not_public(ip: IPAddress) -> bool:
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def forbidden(ip: IPAddress) -> bool:
    """True for loopback, private, link-local, multicast, reserved, unspecified and other non-global
    addresses, and for every IPv6 address that is site-local (fec0::/10, deprecated but still
    routed by some networks) or maps or tunnels to such an IPv4 address."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _not_public(ip)
    if ip.is_site_local or any(ip in net for net in _REFUSED_V6):
        return True
    return _not_public(ip) or any(_not_public(v4) for v4 in embedded_ipv4(ip))


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

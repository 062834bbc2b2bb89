"""Where a website webhook may point: https, a public address, never the force's own network."""
from __future__ import annotations

import ipaddress
import socket
from typing import Collection
from urllib.parse import urlsplit


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified)


def webhook_url_problem(url: str, allowed_hosts: Collection[str] = (), *, resolve: bool = True) -> str | None:
    """Why Crier must not post to ``url`` (a few words), or None.

    A webhook must use https and reach a public address: never loopback,
    private, link-local or reserved ones, where it could be turned against
    services inside the force's network. Hosts in ``allowed_hosts`` (the
    demo's local simulator) are exempt. With ``resolve`` the host's addresses
    are looked up, as they are just before each request.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return "is not a web address"
    if parts.scheme not in ("http", "https") or not host:
        return "is not a web address"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if host in allowed_hosts:
        return None
    if parts.scheme != "https":
        return "must use https"
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        return "points at an internal address" if _internal(str(literal)) else None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "points at an internal address"
    if not resolve:
        return None
    try:
        found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return "has a host name that does not resolve"
    if any(_internal(info[4][0]) for info in found):
        return "points at an internal address"
    return None

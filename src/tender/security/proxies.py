"""Who is really calling, and over what scheme: X-Forwarded-* only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from tender.security.asgi import Scope, header

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The configured proxy addresses; anything else is a client whose headers we ignore."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._networks: list[Network] = [
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()
        ]

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        if not address or not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)

    def peer(self, scope: Scope) -> str | None:
        client = scope.get("client")
        return str(client[0]) if client else None

    def client_ip(self, scope: Scope) -> str:
        """The peer, or when the peer is a trusted proxy the rightmost untrusted hop."""
        peer = self.peer(scope)
        if not self.trusts(peer):
            return peer or "unknown"
        forwarded = header(scope, b"x-forwarded-for")
        if not forwarded:
            return peer or "unknown"
        hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else (peer or "unknown")

    def scheme(self, scope: Scope) -> str:
        """`https` or `http` as the client used it (X-Forwarded-Proto from a trusted peer)."""
        if self.trusts(self.peer(scope)):
            proto = header(scope, b"x-forwarded-proto")
            if proto:
                # Several proxies may append: the first entry is what the client used.
                return proto.decode("latin-1").split(",")[0].strip().lower()
        return str(scope.get("scheme", "http"))

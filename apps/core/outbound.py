"""Connections Gatehouse opens to addresses someone else chose (domain proofs, logout URIs).

The host is resolved once and the connection made to that address, so a DNS server cannot
answer the check with a public address and the connection with a private one.
"""

import http.client
import ipaddress
import socket
import ssl


def is_public_address(address: str) -> bool:
    """Whether `address` is a global unicast address: never loopback, private, link-local or reserved."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address resolved beforehand, whatever DNS would say now."""

    def __init__(self, host: str, port: int, address: str, *, timeout: float, **kwargs):
        super().__init__(host, port, timeout=timeout, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), timeout=self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, *, timeout: float, **kwargs):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), timeout=self.timeout)
        # Certificate and SNI are for the host name, not the address we pinned.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)

"""Reaching a URL someone else chose, fenced against SSRF (domain proofs, client JWKS, logout URIs).

https only; the host resolved once and the connection made to that address (no second lookup
that could answer differently); never a private, loopback, link-local or reserved address; a
timeout; a size limit; redirects followed only on the same host.
`GATEHOUSE_VERIFICATION_ALLOW_PRIVATE` (development and tests) lifts the address and scheme rules.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 3


class FetchError(Exception):
    """Why a URL could not be read, in words the developer can act on."""


class PrivateAddress(FetchError):
    """The host resolves only to addresses Gatehouse never contacts: retrying will not help."""


def _allow_private() -> bool:
    return settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def resolve_public(host: str, port: int) -> str:
    """One address for `host` that we may connect to, or FetchError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{host} does not resolve.") from exc
    addresses = [info[4][0] for info in infos]
    allowed = [a for a in addresses if _allow_private() or is_public_address(a)]
    if not allowed:
        raise PrivateAddress(f"{host} resolves to a private or reserved address, which is never contacted.")
    return allowed[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address resolved beforehand, whatever DNS would say now."""

    def __init__(self, host: str, port: int, address: str, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), timeout=self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), timeout=self.timeout)
        # Certificate and SNI are for the host name, not the address we pinned.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def pinned_connection(parts, *, timeout: float) -> http.client.HTTPConnection:
    """A connection for the split URL `parts`, made to an address of its host resolved once and
    allowed (resolve_public); FetchError (PrivateAddress when retrying cannot help) if none is."""
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(host, port)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    return connection_class(host, port, address, timeout=timeout)


def fetch_small(url: str, *, max_bytes: int, timeout: float, user_agent: str, accept: str = "*/*") -> bytes:
    """GET `url` under the rules above; the body, at most `max_bytes`, or FetchError."""
    first_host = None
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host, scheme = (parts.hostname or "").lower(), parts.scheme
        if scheme != "https" and not (scheme == "http" and _allow_private()):
            raise FetchError("Only https addresses are checked.")
        if first_host is not None and host != first_host:
            raise FetchError(f"{first_host} redirected to another host ({host}), which is not followed.")
        first_host = host
        connection = pinned_connection(parts, timeout=timeout)
        try:
            target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
            connection.request("GET", target, headers={"User-Agent": user_agent, "Accept": accept})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise FetchError(f"{url} answered {response.status}.")
            body = response.read(max_bytes + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{url} could not be fetched ({exc.__class__.__name__}).") from exc
        finally:
            connection.close()
        if len(body) > max_bytes:
            raise FetchError(f"{url} is larger than {max_bytes} bytes.")
        return body
    raise FetchError(f"Too many redirects from {url}.")

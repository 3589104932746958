"""Proof that a developer controls a domain: a DNS TXT record, or a file under /.well-known/.

Gatehouse fetches a URL a developer chose, so the file check is an SSRF risk and is fenced:
https only, the host resolved once and the connection made to that address (no second
lookup that could answer differently), never a private, loopback, link-local or reserved
address, a 5-second timeout, at most 4 KB read, and redirects followed only on the same host.
`GATEHOUSE_VERIFICATION_ALLOW_PRIVATE` (development and tests) lifts the address and scheme rules.
"""

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.resolver
from django.conf import settings

from apps.core.outbound import PinnedHTTPConnection, PinnedHTTPSConnection, is_public_address

PROOF_PATH = "/.well-known/gatehouse-verification.txt"
DNS_LABEL = "_gatehouse-verification"
DNS_PREFIX = "gatehouse-verification="
TIMEOUT_SECONDS = 5
MAX_BYTES = 4096
MAX_REDIRECTS = 3


class ProofError(Exception):
    """Why a proof could not be read, in words the developer can act on."""


@dataclass(frozen=True)
class Proof:
    method: str  # "dns" or "file"
    where: str


def dns_record_name(domain: str) -> str:
    return f"{DNS_LABEL}.{domain}"


def dns_record_value(token: str) -> str:
    return f"{DNS_PREFIX}{token}"


def proof_file_url(domain: str) -> str:
    return f"https://{domain}{PROOF_PATH}"


def _allow_private() -> bool:
    return settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE


def resolve_public(host: str, port: int) -> str:
    """One address for `host` that we may connect to, or ProofError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ProofError(f"{host} does not resolve.") from exc
    addresses = [info[4][0] for info in infos]
    allowed = [a for a in addresses if _allow_private() or is_public_address(a)]
    if not allowed:
        raise ProofError(f"{host} resolves to a private or reserved address, which is never checked.")
    return allowed[0]


def fetch_small(url: str) -> bytes:
    """GET `url` under the rules above; the body, at most MAX_BYTES, or ProofError."""
    first_host = None
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host, scheme = (parts.hostname or "").lower(), parts.scheme
        if scheme != "https" and not (scheme == "http" and _allow_private()):
            raise ProofError("Only https addresses are checked.")
        if first_host is not None and host != first_host:
            raise ProofError(f"{first_host} redirected to another host ({host}), which is not followed.")
        first_host = host
        port = parts.port or (443 if scheme == "https" else 80)
        address = resolve_public(host, port)
        connection_class = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout=TIMEOUT_SECONDS)
        try:
            connection.request("GET", parts.path or "/", headers={"User-Agent": "Gatehouse-Verification/1"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise ProofError(f"{url} answered {response.status}.")
            body = response.read(MAX_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise ProofError(f"{url} could not be fetched ({exc.__class__.__name__}).") from exc
        finally:
            connection.close()
        if len(body) > MAX_BYTES:
            raise ProofError(f"{url} is larger than {MAX_BYTES} bytes.")
        return body
    raise ProofError(f"Too many redirects from {url}.")


def txt_records(name: str) -> list[str]:
    """The TXT strings at `name` ([] when there are none)."""
    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=TIMEOUT_SECONDS)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.DNSException as exc:
        raise ProofError(f"The DNS lookup of {name} failed ({exc.__class__.__name__}).") from exc
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def is_address(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return False
    return True


def file_urls(domain: str, homepage_url: str) -> list[str]:
    """Where the proof file may be: https://<domain>/.well-known/...; in development also the
    homepage's own origin (port, and plain http) when the homepage is on the domain itself."""
    urls = [proof_file_url(domain)]
    home = urlsplit(homepage_url)
    if _allow_private() and (home.hostname or "").lower() == domain and home.port:
        urls = [f"{scheme}://{home.netloc}{PROOF_PATH}" for scheme in ("https", "http")]
    return urls


def find_proof(*, domain: str, token: str, homepage_url: str = "") -> Proof:
    """The first proof found for `domain` holding `token`, or ProofError saying what was tried."""
    problems = []
    if not is_address(domain):
        name = dns_record_name(domain)
        try:
            if dns_record_value(token) in (value.strip() for value in txt_records(name)):
                return Proof("dns", name)
            problems.append(f"No TXT record {dns_record_value(token)} at {name}.")
        except ProofError as exc:
            problems.append(str(exc))
    for url in file_urls(domain, homepage_url):
        try:
            body = fetch_small(url)
        except ProofError as exc:
            problems.append(str(exc))
            continue
        if body.decode(errors="replace").strip() == token:
            return Proof("file", url)
        problems.append(f"{url} does not hold the token.")
    raise ProofError(" ".join(problems))

"""Proof that a developer controls a domain: a DNS TXT record, or a file under /.well-known/.

Gatehouse fetches a URL a developer chose, so the file check is an SSRF risk and is fenced by
apps.core.safe_fetch (https, public addresses, redirects on the same host only), with a
5-second timeout and at most 4 KB read.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings

from apps.core import safe_fetch

PROOF_PATH = "/.well-known/gatehouse-verification.txt"
DNS_LABEL = "_gatehouse-verification"
DNS_PREFIX = "gatehouse-verification="
TIMEOUT_SECONDS = 5
MAX_BYTES = 4096


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


def fetch_small(url: str) -> bytes:
    """GET `url` fenced against SSRF (apps.core.safe_fetch); the body, at most MAX_BYTES, or ProofError."""
    try:
        return safe_fetch.fetch_small(
            url, max_bytes=MAX_BYTES, timeout=TIMEOUT_SECONDS, user_agent="Gatehouse-Verification/1"
        )
    except safe_fetch.FetchError as exc:
        raise ProofError(str(exc)) from exc


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

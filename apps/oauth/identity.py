"""What identifies an app to the people who sign in to it: staff verify this, and a change undoes it.

Plain functions of an application's fields, so the data migration that introduced
verification can use them on its historical model too.
"""

import hashlib
from urllib.parse import urlsplit


def _host(uri: str) -> str:
    try:
        return (urlsplit(uri).hostname or "").lower()
    except ValueError:
        return ""


def logo_digest(application) -> str:
    """SHA-256 of the logo's bytes ("" without one): a new upload of the same image keeps it."""
    if not application.logo:
        return ""
    try:
        with application.logo.open("rb") as logo:
            return hashlib.sha256(logo.read()).hexdigest()
    except OSError:  # the file is gone from storage: its name is all that identifies it
        return hashlib.sha256(application.logo.name.encode()).hexdigest()


def redirect_domains(application) -> list[str]:
    """The hosts people are sent back to (app schemes such as com.example.app: have none)."""
    return sorted({host for uri in application.redirect_uris.split() if (host := _host(uri))})


def identity_snapshot(application) -> dict:
    """Name, logo, homepage and redirect domains: what a verification vouches for."""
    return {
        "name": application.name,
        "logo": logo_digest(application),
        "homepage": application.homepage_url,
        "redirect_domains": redirect_domains(application),
    }


def changed_parts(application, snapshot: dict) -> list[str]:
    """Which parts of the identity differ from `snapshot` (all of them when it is empty)."""
    current = identity_snapshot(application)
    labels = {"name": "name", "logo": "logo", "homepage": "homepage", "redirect_domains": "redirect domains"}
    return [label for key, label in labels.items() if snapshot.get(key) != current[key]]

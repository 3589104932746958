"""The scope catalogue: every scope Gatehouse knows, in plain language, in one place.

OAuth tokens (apps.oauth, whose `CatalogueScopes` hands it to DOT) and personal API keys
(apps.apikeys) carry the same scopes, and the API checks them the same way; the catalogue
lives here so that both may import it without importing each other.
"""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    IDENTITY = "identity"
    READ = "read"
    CHANGE = "change"
    SENSITIVE = "sensitive"


@dataclass(frozen=True)
class Scope:
    name: str
    label: str
    description: str
    kind: Kind
    default: bool = False


CATALOGUE: dict[str, Scope] = {
    s.name: s
    for s in [
        Scope(
            "openid", "Sign you in", "Confirm who you are with your Gatehouse account.", Kind.IDENTITY, True
        ),
        Scope(
            "profile", "Your public profile", "See your name, username, picture and website.", Kind.IDENTITY
        ),
        Scope(
            "email",
            "Your email address",
            "See your email address and whether it is verified.",
            Kind.IDENTITY,
        ),
        Scope("read", "Read your account", "Read your account details through the API.", Kind.READ),
        Scope(
            "read_profile",
            "Read your profile",
            "Read your profile: name, bio, website and picture.",
            Kind.READ,
        ),
        Scope("write", "Change your account", "Make changes to your account through the API.", Kind.CHANGE),
        Scope(
            "write_profile", "Edit your profile", "Change your name, bio, website and picture.", Kind.CHANGE
        ),
        Scope(
            "admin",
            "Administer Gatehouse",
            "Act as an administrator. Only works if you are staff.",
            Kind.SENSITIVE,
        ),
        Scope(
            "introspection",
            "Check tokens",
            "Let a service ask Gatehouse whether tokens it receives are valid.",
            Kind.SENSITIVE,
        ),
    ]
}

ALL_SCOPES = tuple(CATALOGUE)


def describe(names) -> list[Scope]:
    """The catalogue entries for `names`, in catalogue order; unknown names are dropped."""
    wanted = set(names)
    return [scope for name, scope in CATALOGUE.items() if name in wanted]

"""The scope catalogue: every scope Gatehouse knows, in plain language, in one place.

DOT reads it through `CatalogueScopes` (OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]), which also
limits each application to the scopes its developer allowed.
"""

from dataclasses import dataclass
from enum import StrEnum

from oauth2_provider.scopes import BaseScopes


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
            "Your e-mail address",
            "See your e-mail address and whether it is verified.",
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


class CatalogueScopes(BaseScopes):
    """DOT scopes backend: the catalogue, narrowed to what each application is allowed."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: scope.description for name, scope in CATALOGUE.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return list(CATALOGUE)
        return [name for name in CATALOGUE if name in application.allowed_scope_set]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return [name for name in self.get_available_scopes(application) if CATALOGUE[name].default]

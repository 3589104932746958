"""The scope catalogue: every scope Gatehouse knows, in plain language, in one place.

OAuth tokens (apps.oauth, whose `CatalogueScopes` hands it to DOT) and personal API keys
(apps.apikeys) carry the same scopes, and the API checks them the same way; the catalogue
lives here so that both may import it without importing each other.

Labels and descriptions are lazy translations, resolved in the language of the request that shows
them (the consent screen, the API-key form, the developer console). Whatever needs a plain string
(JSON, a dict handed to a library) calls `str()` on them, as `CatalogueScopes.get_all_scopes` does.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    IDENTITY = "identity"
    READ = "read"
    CHANGE = "change"
    SENSITIVE = "sensitive"


@dataclass(frozen=True)
class Scope:
    name: str
    label: str | Promise
    description: str | Promise
    kind: Kind
    default: bool = False


CATALOGUE: dict[str, Scope] = {
    s.name: s
    for s in [
        Scope(
            "openid",
            _("Sign you in"),
            _("Confirm who you are with your Gatehouse account."),
            Kind.IDENTITY,
            True,
        ),
        Scope(
            "profile",
            _("Your public profile"),
            _("See your name, username, picture and website."),
            Kind.IDENTITY,
        ),
        Scope(
            "email",
            _("Your email address"),
            _("See your email address and whether it is verified."),
            Kind.IDENTITY,
        ),
        Scope("read", _("Read your account"), _("Read your account details through the API."), Kind.READ),
        Scope(
            "read_profile",
            _("Read your profile"),
            _("Read your profile: name, bio, website and picture."),
            Kind.READ,
        ),
        Scope(
            "write", _("Change your account"), _("Make changes to your account through the API."), Kind.CHANGE
        ),
        Scope(
            "write_profile",
            _("Edit your profile"),
            _("Change your name, bio, website and picture."),
            Kind.CHANGE,
        ),
        Scope(
            "admin",
            _("Administer Gatehouse"),
            _("Act as an administrator. Only works if you are staff."),
            Kind.SENSITIVE,
        ),
        Scope(
            "introspection",
            _("Check tokens"),
            _("Let a service ask Gatehouse whether tokens it receives are valid."),
            Kind.SENSITIVE,
        ),
    ]
}

ALL_SCOPES = tuple(CATALOGUE)


def describe(names) -> list[Scope]:
    """The catalogue entries for `names`, in catalogue order; unknown names are dropped."""
    wanted = set(names)
    return [scope for name, scope in CATALOGUE.items() if name in wanted]

"""What tokens each application holds for a user, counted per application (two queries)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)

from apps.accounts.models import User
from apps.oauth.scopes import CATALOGUE


@dataclass
class Grant:
    application: object
    scope_set: set[str] = field(default_factory=set)
    access_tokens: int = 0
    refresh_tokens: int = 0
    first_issued: datetime | None = None
    expires: datetime | None = None

    @property
    def scopes(self) -> list[str]:
        return [name for name in CATALOGUE if name in self.scope_set] + sorted(
            self.scope_set - set(CATALOGUE)
        )

    def add(self, *, scope: str, created: datetime) -> None:
        self.scope_set.update(scope.split())
        self.first_issued = min(self.first_issued or created, created)


def active_grants(*, user: User) -> list[Grant]:
    """Live access tokens and unrevoked refresh tokens of `user`, grouped by application."""
    grants: dict[int, Grant] = {}
    access = get_access_token_model().objects.filter(
        user=user, expires__gt=timezone.now(), application__isnull=False
    )
    for token in access.select_related("application").only(
        "scope", "created", "expires", "application__name", "application__client_id"
    ):
        grant = grants.setdefault(token.application_id, Grant(application=token.application))
        grant.add(scope=token.scope, created=token.created)
        grant.access_tokens += 1
        grant.expires = max(grant.expires or token.expires, token.expires)
    refresh = get_refresh_token_model().objects.filter(user=user, revoked__isnull=True)
    if lifetime := refresh_token_expire_timedelta():
        refresh = refresh.filter(created__gt=timezone.now() - lifetime)
    for token in refresh.select_related("application", "access_token").only(
        "created", "application__name", "application__client_id", "access_token__scope"
    ):
        grant = grants.setdefault(token.application_id, Grant(application=token.application))
        grant.add(scope=token.access_token.scope if token.access_token else "", created=token.created)
        grant.refresh_tokens += 1
    return sorted(grants.values(), key=lambda g: g.first_issued, reverse=True)

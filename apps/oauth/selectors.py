"""Who holds live OAuth credentials: one definition for the pages, the console and the API.

An access token is live until it expires (DOT deletes a revoked one). A refresh token is live
while the token endpoint would still take it: not revoked, still paired with its access token
(DOT refuses an orphan), used within REFRESH_TOKEN_EXPIRE_SECONDS of that access token's expiry
(DOT's idle expiry), and its family on record and not past its absolute end
(`TokenFamily.expires`, enforced by `GatehouseValidator.validate_refresh_token`).

Each selector is a queryset or an expression: callers narrow it with `user=` and
`application=` (values or `OuterRef`s), so every count stays one query.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)

from apps.accounts.models import User
from apps.oauth.models import Application, Consent, TokenFamily

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def live_access_tokens(*, now: datetime | None = None) -> QuerySet:
    """Access tokens that still work: not expired (`AccessToken.is_expired` is `now >= expires`)."""
    return AccessToken.objects.filter(expires__gt=now or timezone.now())


def live_refresh_tokens(*, now: datetime | None = None) -> QuerySet:
    """Refresh tokens the token endpoint would still exchange (see the module docstring)."""
    now = now or timezone.now()
    tokens = RefreshToken.objects.filter(revoked__isnull=True, access_token__isnull=False)
    if idle := refresh_token_expire_timedelta():
        tokens = tokens.filter(access_token__expires__gt=now - idle)
    # A family whose record is gone has ended (GatehouseValidator.validate_refresh_token).
    going = TokenFamily.objects.filter(
        Q(expires__isnull=True) | Q(expires__gt=now), family=OuterRef("token_family")
    )
    return tokens.filter(Exists(going))


def has_live_access_token(*, user, application, now: datetime | None = None) -> Exists:
    """Whether `user` holds a live access token for `application` (either may be an OuterRef)."""
    return Exists(live_access_tokens(now=now).filter(user=user, application=application))


def has_live_refresh_token(*, user, application, now: datetime | None = None) -> Exists:
    """Whether `user` holds a live refresh token for `application` (either may be an OuterRef)."""
    return Exists(live_refresh_tokens(now=now).filter(user=user, application=application))


def holds_live_tokens(*, user, application, now: datetime | None = None) -> Q:
    """Whether `user` holds a live access or refresh token for `application`."""
    now = now or timezone.now()
    return has_live_access_token(user=user, application=application, now=now) | has_live_refresh_token(
        user=user, application=application, now=now
    )


def live_scopes(*, user: User, application: Application) -> set[str]:
    """The scopes that live access tokens of `user` for `application` still carry."""
    live = live_access_tokens().filter(user=user, application=application)
    return {scope for token_scope in live.values_list("scope", flat=True) for scope in token_scope.split()}


def live_token_holders(*, application: Application, now: datetime | None = None) -> QuerySet:
    """The people holding a live access or refresh token for `application`."""
    return User.objects.filter(holds_live_tokens(user=OuterRef("pk"), application=application, now=now))


def listed_consent(*, now: datetime | None = None) -> Q:
    """The consents the connected-apps page lists: a decision remembered and unexpired, or one
    whose tokens still live ("this time only" and lapsed decisions stay while their tokens do)."""
    now = now or timezone.now()
    remembered = ~Q(remember=Consent.Remember.ONCE) & (Q(expires__isnull=True) | Q(expires__gt=now))
    return remembered | holds_live_tokens(
        user=OuterRef("user_id"), application=OuterRef("application_id"), now=now
    )


def is_remembered(consent: Consent, *, now: datetime) -> bool:
    """The first half of `listed_consent` for one loaded consent: a decision remembered and
    unexpired, listed whatever its tokens."""
    return consent.remember != Consent.Remember.ONCE and (consent.expires is None or consent.expires > now)


def applications_with_live_tokens(
    *, user: User, applications: Iterable[int], now: datetime | None = None
) -> QuerySet:
    """The ids, among `applications`, of the apps `user` holds a live access or refresh token for."""
    return (
        Application.objects.filter(pk__in=applications)
        .filter(holds_live_tokens(user=user, application=OuterRef("pk"), now=now))
        .values_list("pk", flat=True)
    )


# --- Counts per application, as correlated subqueries of an Application queryset ---------


class _Count(Func):
    """COUNT(...) as a plain function, so a correlated subquery needs no GROUP BY."""

    function = "COUNT"
    output_field = IntegerField()


class _CountDistinct(_Count):
    template = "%(function)s(DISTINCT %(expressions)s)"


def _count(queryset: QuerySet, field: str, *, distinct: bool = False) -> Coalesce:
    counter = _CountDistinct if distinct else _Count
    return Coalesce(Subquery(queryset.order_by().values(n=counter(F(field)))), Value(0))


def connected_users_count(*, now: datetime | None = None) -> Coalesce:
    """Per outer application: the people whose connected-apps page lists it (`listed_consent`),
    and the people holding live tokens for it without any consent (first-party apps)."""
    now = now or timezone.now()
    consents = Consent.objects.filter(listed_consent(now=now), application=OuterRef("pk"))
    consented = Consent.objects.filter(user=OuterRef("user_id"), application=OuterRef("application_id"))
    mine = {"user": OuterRef("user_id"), "application": OuterRef("application_id"), "now": now}
    access_only = live_access_tokens(now=now).filter(application=OuterRef("pk"), user__isnull=False)
    access_only = access_only.exclude(Exists(consented))
    refresh_only = live_refresh_tokens(now=now).filter(application=OuterRef("pk"), user__isnull=False)
    refresh_only = refresh_only.exclude(Exists(consented)).exclude(has_live_access_token(**mine))
    return (
        _count(consents, "pk")
        + _count(access_only, "user_id", distinct=True)
        + _count(refresh_only, "user_id", distinct=True)
    )


def live_access_tokens_count(*, now: datetime | None = None) -> Coalesce:
    """Per outer application: its live access tokens, client-credentials tokens included."""
    return _count(live_access_tokens(now=now).filter(application=OuterRef("pk")), "pk")

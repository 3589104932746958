"""Access tokens validated from the shared cache (apps.core.rowcache): DOT's lookup, cached."""

from functools import cache

from django.db.models import F
from oauth2_provider.models import get_access_token_model

from apps.core import rowcache
from apps.oauth.models import Application

AccessToken = get_access_token_model()


def track_tokens() -> None:
    """Every save or delete of a token or an app (DOT's `revoke()`, cascades) invalidates it."""
    # With DOT's token-storage gate the token column is blank; kept out of the cache regardless.
    rowcache.track(AccessToken, field="token_checksum", omit=("token",))
    rowcache.track(Application, omit=("client_secret",))


@cache
def _tokens_with_binding():
    # Built once: a queryset is never evaluated here, only cloned by `filter()` on a cache miss,
    # and building it cost more than a cache hit.
    return AccessToken.objects.annotate(dpop_jkt=F("dpop_binding__jkt"))


def load_access_token(checksum: str):
    """The access token with this checksum, its user (with the profile, where there is one) and
    application loaded; None if unknown.

    Its DPoP key thumbprint (`dpop_jkt`, None when unbound) comes in the same statement and is
    cached with it: a binding is written with its token and never changes (apps.oauth.dpop).
    """
    return rowcache.fetch(
        _tokens_with_binding(),
        kind="access_token",
        field="token_checksum",
        value=checksum,
        related=("user", "application", "user__profile"),
    )

"""Access tokens validated from the shared cache (apps.core.rowcache): DOT's lookup, cached."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.db.models import F
from oauth2_provider.models import get_access_token_model

from apps.core import rowcache
from apps.core.cache import WindowCount
from apps.oauth.models import Application

AccessToken = get_access_token_model()

# A token's checksum and a rate-limit window that its cache read counts the request in.
_counting: ContextVar[tuple[str, WindowCount] | None] = ContextVar("gatehouse_token_counting", default=None)


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


@contextmanager
def counting(checksum: str, window: WindowCount | None) -> Iterator[None]:
    """Within, the cache read of the token with `checksum` (by DOT's validator, which knows no
    rate limits) counts `window` in the same round trip: the API's throttle, for one trip less."""
    reset = _counting.set((checksum, window) if window is not None else None)
    try:
        yield
    finally:
        _counting.reset(reset)


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
        count=pending[1] if (pending := _counting.get()) and pending[0] == checksum else None,
    )

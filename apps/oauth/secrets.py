"""Client secrets: created, checked and deleted only here. The database keeps hashes only.

An application may hold several secrets at once, so a developer can roll a new one out
before deleting the old one. DOT's own `Application.client_secret` stays empty and unused.
"""

import copy
import secrets as random_source
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import post_init, post_save, pre_delete
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from apps.accounts.models import Profile, User
from apps.core import rowcache, stamps
from apps.core.ratelimit import digest
from apps.oauth.models import Application, ClientSecret

# `last_used` is for people ("used 3 minutes ago"), not an audit trail: writing it on every
# token request would turn each one into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Where `load_client` leaves an application's secrets for `check_client_secret`.
_LOADED_SECRETS = "_gatehouse_secrets"
_LOADED_CLIENT_ID = "_gatehouse_client_id"


def create_client_secret(*, application: Application, value: str | None = None) -> tuple[ClientSecret, str]:
    """Store a new secret for `application`; return it with its plain value, shown this once.

    The default is 256 bits from the OS's CSPRNG, which is what makes a fast keyed hash
    (CLIENT_SECRET_HASHER, `gatehouse_sha256`) as safe as PBKDF2 for it.
    """
    value = value or random_source.token_urlsafe(32)
    secret = ClientSecret.objects.create(
        application=application,
        secret_hash=make_password(value, hasher=oauth2_settings.CLIENT_SECRET_HASHER),
        last_four=value[-4:],
    )
    return secret, value


def delete_client_secret(*, secret: ClientSecret) -> None:
    """Delete one secret; clients still presenting it fail authentication from now on."""
    secret.delete()


def client_key(client_id: str) -> str:
    """Where `load_client` keeps a client in the shared cache (a digest: client ids come from requests)."""
    return f"gatehouse:client:v1:{digest(client_id)}"


def load_client(client_id: str) -> Application | None:
    """The application `client_id` names, with its owner, the owner's profile and its secrets.

    From the shared cache (apps.core.rowcache's rules: every node, invalidated at once by any
    change to the app, its secrets, its owner or the owner's profile; see `track_clients`), else
    in one SELECT: each secret is a row of a LEFT JOIN, so authenticating a client at the token
    and introspection endpoints costs at most one query, and the audit trail finds the owner
    loaded. The cache holds secret hashes only (DOT's `client_secret` column stays empty),
    never the owner's password hash.
    """
    key = client_key(client_id)
    cached = cache.get(key)
    if isinstance(cached, Application):
        return cached
    rows = list(
        Application.objects.filter(client_id=client_id)
        .select_related("user", "user__profile")
        .defer("user__password")
        .annotate(
            secret_pk=F("secrets__pk"),
            secret_hash=F("secrets__secret_hash"),
            secret_last_used=F("secrets__last_used"),
        )
        .order_by(F("secrets__created").desc(nulls_last=True))
    )
    if not rows:
        return None
    application = rows[0]
    secrets = [
        ClientSecret(
            pk=row.secret_pk,
            application_id=application.pk,
            secret_hash=row.secret_hash,
            last_used=row.secret_last_used,
        )
        for row in rows
        if row.secret_pk is not None
    ]
    for name in ("secret_pk", "secret_hash", "secret_last_used"):
        del application.__dict__[name]  # the first row's; `secrets` holds every one
    setattr(application, _LOADED_SECRETS, secrets)
    cached = copy.copy(application)
    # DOT's own secret column is never read here (every secret is a ClientSecret row), and one
    # set in the admin may be plain text: it stays out of the cache.
    cached.client_secret = ""
    cache.add(key, cached, rowcache.MAX_SECONDS)
    return application


def track_clients() -> None:
    """Invalidate a cached client whenever what `load_client` loaded with it changes."""

    def owned_clients(user_id) -> list[str]:
        return [
            client_key(c)
            for c in Application.objects.filter(user_id=user_id).values_list("client_id", flat=True)
        ]

    def remember_client_id(sender, instance: Application, **kwargs) -> None:
        # Staff may change a client_id in the admin: the key under the loaded one goes too.
        instance.__dict__[_LOADED_CLIENT_ID] = instance.__dict__.get("client_id")

    def application_keys(application: Application) -> list[str]:
        ids = {application.client_id, application.__dict__.get(_LOADED_CLIENT_ID)} - {None, ""}
        return [client_key(client_id) for client_id in ids]

    post_init.connect(remember_client_id, sender=Application, weak=False, dispatch_uid="client-id-loaded")
    rowcache.depends_on(Application, application_keys)
    rowcache.depends_on(User, lambda user: owned_clients(user.pk))
    rowcache.depends_on(Profile, lambda profile: owned_clients(profile.user_id))

    def secret_changed(sender, instance: ClientSecret, **kwargs) -> None:
        client_id = (
            Application.objects.filter(pk=instance.application_id).values_list("client_id", flat=True).first()
        )
        if client_id is not None:
            rowcache.forget(client_key(client_id))

    post_save.connect(secret_changed, sender=ClientSecret, weak=False, dispatch_uid="client-secret-saved")
    pre_delete.connect(secret_changed, sender=ClientSecret, weak=False, dispatch_uid="client-secret-deleted")


def check_client_secret(*, application: Application, value: str) -> bool:
    """Whether `value` is one of `application`'s secrets; notes when that secret was used."""
    secrets = getattr(application, _LOADED_SECRETS, None)
    if secrets is None:
        secrets = ClientSecret.objects.filter(application=application)
    for secret in secrets:
        if check_password(value, secret.secret_hash):
            _touch(secret)
            return True
    return False


def _touch(secret: ClientSecret) -> None:
    now = timezone.now()
    if secret.last_used is not None and secret.last_used > now - LAST_USED_RESOLUTION:
        return
    # A client from the shared cache keeps the `last_used` it was cached with (it drives nothing
    # but the console's "used 3 minutes ago"): the stamps say whether this minute's write was made.
    stamped = stamps.stamp_last_used(
        ClientSecret,
        key=f"gatehouse:client-secret-used:{secret.pk}",
        period=LAST_USED_RESOLUTION,
        pk=secret.pk,
    )
    if stamped:
        secret.last_used = stamped

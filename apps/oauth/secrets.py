"""Client secrets: created, checked and deleted only here. The database keeps hashes only.

An application may hold several secrets at once, so a developer can roll a new one out
before deleting the old one. DOT's own `Application.client_secret` stays empty and unused.
"""

import secrets as random_source
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import F
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from apps.oauth.models import Application, ClientSecret

# `last_used` is for people ("used 3 minutes ago"), not an audit trail: writing it on every
# token request would turn each one into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Where `load_client` leaves an application's secrets for `check_client_secret`.
_LOADED_SECRETS = "_gatehouse_secrets"


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


def load_client(client_id: str) -> Application | None:
    """The application `client_id` names, with its owner, the owner's profile and its secrets.

    One SELECT: each secret is a row of a LEFT JOIN, so authenticating a client at the token
    and introspection endpoints costs one query, and the audit trail finds the owner loaded.
    """
    rows = list(
        Application.objects.filter(client_id=client_id)
        .select_related("user", "user__profile")
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
    setattr(
        application,
        _LOADED_SECRETS,
        [
            ClientSecret(
                pk=row.secret_pk,
                application=application,
                secret_hash=row.secret_hash,
                last_used=row.secret_last_used,
            )
            for row in rows
            if row.secret_pk is not None
        ],
    )
    return application


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
    if secret.last_used is None or secret.last_used <= now - LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests write at most once per minute between them.
        ClientSecret.objects.filter(pk=secret.pk, last_used=secret.last_used).update(last_used=now)

"""Linked sign-in identities: listing, the last-method rule, disconnecting, provider avatars."""

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from social_django.models import UserSocialAuth

from apps.accounts.forms import AVATAR_MAX_BYTES, reencode_avatar
from apps.accounts.models import Profile, User
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.social.providers import DEFAULT_ICON, ICONS, enabled_providers, provider_title

log = logging.getLogger(__name__)

LAST_METHOD_MESSAGE = gettext_lazy(
    "This is your only way to sign in, so it cannot be disconnected. "
    "Set a password or connect another account first."
)
AVATAR_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Identity:
    """One linked provider account as the Sign-in methods page shows it."""

    pk: int
    provider: str
    title: str
    icon: str
    account_name: str
    account_email: str
    linked: datetime
    can_disconnect: bool


def can_disconnect(*, identity: UserSocialAuth, identities: list[UserSocialAuth], has_password: bool) -> bool:
    """Whether removing `identity` still leaves a way to sign in (a password or another provider)."""
    if has_password:
        return True
    enabled = {p.name for p in enabled_providers()}
    return any(other.pk != identity.pk and other.provider in enabled for other in identities)


def list_identities(*, user: User) -> list[Identity]:
    """The user's linked provider accounts, oldest first, each with whether it may be removed."""
    identities = list(UserSocialAuth.objects.filter(user=user).order_by("created", "pk"))
    has_password = user.has_usable_password()
    return [
        Identity(
            pk=identity.pk,
            provider=identity.provider,
            title=provider_title(identity.provider),
            icon=ICONS.get(identity.provider, DEFAULT_ICON),
            account_name=identity.extra_data.get("account_name", ""),
            account_email=identity.extra_data.get("account_email", ""),
            linked=identity.created,
            can_disconnect=can_disconnect(
                identity=identity, identities=identities, has_password=has_password
            ),
        )
        for identity in identities
    ]


def disconnect_identity(*, user: User, identity: UserSocialAuth, request: HttpRequest | None = None) -> None:
    """Unlink a provider account; PermissionDenied when it is the user's last way to sign in."""
    identities = list(UserSocialAuth.objects.filter(user=user))
    if not can_disconnect(identity=identity, identities=identities, has_password=user.has_usable_password()):
        raise PermissionDenied(LAST_METHOD_MESSAGE)
    record(
        AuditEvent.Kind.IDENTITY_UNLINKED,
        user=user,
        request=request,
        provider=identity.provider,
        provider_name=provider_title(identity.provider),
    )
    identity.delete()


def import_avatar(*, profile: Profile, url: str) -> bool:
    """Copy a provider's profile picture into the profile; False (and no change) on any problem.

    The picture is downloaded once and re-encoded like an upload, so Gatehouse never hotlinks
    the provider and the provider never learns when someone's profile is viewed.
    """
    if not url or urlsplit(url).scheme != "https":
        return False
    try:
        with requests.get(url, timeout=AVATAR_TIMEOUT_SECONDS, stream=True) as response:
            response.raise_for_status()
            content = response.raw.read(AVATAR_MAX_BYTES + 1, decode_content=True)
        if len(content) > AVATAR_MAX_BYTES:
            return False
        picture = reencode_avatar(SimpleUploadedFile("avatar", content))
    except (requests.RequestException, ValidationError, OSError) as exc:
        log.info("provider avatar not imported: %s", type(exc).__name__)
        return False
    profile.avatar.save(picture.name, picture, save=True)
    return True

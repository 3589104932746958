"""Personal API keys: issue (shown once), find by the presented key, revoke."""

import re
import zlib
from collections.abc import Callable
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.apikeys.models import (
    CHECKSUM_LENGTH,
    KEY_ID_LENGTH,
    KEY_PREFIX,
    LAST_USED_PRECISION,
    LEGACY_KEY_PREFIX,
    SECRET_LENGTH,
    APIKey,
)
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core import rowcache, stamps
from apps.core.cache import WindowCount
from apps.core.scopes import CATALOGUE, Kind

# Digit order matters for the checksum only: 0-9, A-Z, a-z (README "API keys").
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_FORMAT = re.compile(
    rf"{KEY_PREFIX}(?P<key_id>[0-9A-Za-z]{{{KEY_ID_LENGTH}}})_[0-9A-Za-z]{{{SECRET_LENGTH + CHECKSUM_LENGTH}}}"
)
LEGACY_KEY_FORMAT = re.compile(
    rf"{LEGACY_KEY_PREFIX}(?P<key_id>[0-9A-Za-z]{{{KEY_ID_LENGTH}}})_[0-9A-Za-z]{{{SECRET_LENGTH}}}"
)
# The hasher for 256-bit machine secrets (apps/core/hashers.py): keyed SHA-256, microseconds.
KEY_HASHER = "gatehouse_sha256"


def available_scopes(user: User) -> list[str]:
    """Scopes a key of `user` may carry: the API's read/change scopes, and `admin` for staff."""
    names = [scope.name for scope in CATALOGUE.values() if scope.kind in (Kind.READ, Kind.CHANGE)]
    if user.is_staff:
        names.append("admin")
    return names


def looks_like_api_key(value: str) -> bool:
    return value.startswith((KEY_PREFIX, LEGACY_KEY_PREFIX))


def key_checksum(body: str) -> str:
    """The CRC32 of `body` in base62, so anyone can tell a key from random text offline (not a MAC)."""
    value, digits = zlib.crc32(body.encode("ascii")), ""
    for _digit in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, len(BASE62))
        digits = BASE62[digit] + digits
    return digits


def _key_id(raw: str) -> str | None:
    """The id of a well-formed key (its checksum right, if its format has one), else None."""
    if match := KEY_FORMAT.fullmatch(raw):
        body, checksum = raw[:-CHECKSUM_LENGTH], raw[-CHECKSUM_LENGTH:]
        return match["key_id"] if key_checksum(body) == checksum else None
    if match := LEGACY_KEY_FORMAT.fullmatch(raw):
        return match["key_id"]
    return None


def create_api_key(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires: datetime | None = None,
    request: HttpRequest | None = None,
) -> tuple[APIKey, str]:
    """Issue a key for `user`; return it and the raw key, which is never stored nor shown again."""
    unknown = set(scopes) - set(available_scopes(user))
    if unknown or not scopes:
        raise ValidationError({"scopes": _("Choose at least one of the scopes offered for API keys.")})
    key_id = get_random_string(KEY_ID_LENGTH, BASE62)
    body = f"{KEY_PREFIX}{key_id}_{get_random_string(SECRET_LENGTH, BASE62)}"
    raw = body + key_checksum(body)
    ordered = [name for name in CATALOGUE if name in set(scopes)]
    api_key = APIKey.objects.create(
        user=user,
        name=name,
        prefix=KEY_PREFIX,
        key_id=key_id,
        key_hash=make_password(raw, hasher=KEY_HASHER),
        scope=" ".join(ordered),
        expires=expires,
    )
    record(
        AuditEvent.Kind.KEY_CREATED, user=user, request=request, name=name, key_id=key_id, scope=api_key.scope
    )
    return api_key, raw


def revoke_api_key(*, api_key: APIKey, request: HttpRequest | None = None) -> None:
    """Delete the key (its hash goes with it); the audit trail keeps its name and id."""
    record(
        AuditEvent.Kind.KEY_REVOKED,
        user=api_key.user,
        request=request,
        name=api_key.name,
        key_id=api_key.key_id,
    )
    api_key.delete()


def find_api_key(raw: str, *, count: Callable[[str], WindowCount | None] | None = None) -> APIKey | None:
    """The live key `raw` stands for; None if malformed, unknown, wrong, expired or of an inactive user.

    A mistyped or made-up key fails its checksum here, before any query; a well-formed one is
    looked up in the shared cache (apps.core.rowcache), and in one query on a miss. `count`
    names, by the key's id, a rate-limit window the cache read counts the request in.
    """
    key_id = _key_id(raw)
    if key_id is None:
        return None
    api_key = rowcache.fetch(
        APIKey.objects.all(),
        kind="api_key",
        field="key_id",
        value=key_id,
        related=("user", "user__profile"),
        count=count(key_id) if count else None,
    )
    if api_key is None or api_key.is_expired() or not check_password(raw, api_key.key_hash):
        return None
    if not api_key.user.is_active:
        return None
    return api_key


def touch_api_key(api_key: APIKey) -> None:
    """Record use at most once a minute: skip when the loaded row is recent, else a conditional UPDATE."""
    now = timezone.now()
    if api_key.last_used is not None and api_key.last_used > now - LAST_USED_PRECISION:
        return
    # A key from the shared cache keeps the `last_used` it was cached with (it drives nothing
    # but the keys page): the stamps say whether this minute's write was made already.
    stamped = stamps.stamp_last_used(
        APIKey, key=f"gatehouse:apikeys:used:{api_key.pk}", period=LAST_USED_PRECISION, pk=api_key.pk
    )
    if stamped:
        api_key.last_used = stamped


def deletion_impact(user: User) -> dict[str, int]:
    """How many keys deleting the account takes away (apps.accounts.deletion)."""
    return {"api_keys": APIKey.objects.filter(user=user).count()}


def delete_user_keys(user: User) -> dict[str, int]:
    """Delete every key of `user` as their account goes; the audit record counts them already."""
    APIKey.objects.filter(user=user).delete()
    return {}

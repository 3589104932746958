import pytest
from django.contrib.auth.hashers import make_password
from django.utils.crypto import get_random_string

from apps.apikeys.models import KEY_ID_LENGTH, SECRET_LENGTH, APIKey
from apps.apikeys.services import BASE62, KEY_HASHER, create_api_key


@pytest.fixture
def make_key(user):
    """`make_key(["read"])`: an API key of `user` and its raw value, from the key service."""

    def _make(scopes=("read",), *, for_user=None, name="backup script", **kwargs):
        return create_api_key(user=for_user or user, name=name, scopes=list(scopes), **kwargs)

    return _make


@pytest.fixture
def make_legacy_key(user):
    """A key as issued before the `gatehouse_` prefix (`gh_pat_<id>_<secret>`, no checksum), stored
    as such rows are after the migration that named each key's prefix."""

    def _make(scopes=("read",), *, name="old script"):
        key_id = get_random_string(KEY_ID_LENGTH, BASE62)
        raw = f"gh_pat_{key_id}_{get_random_string(SECRET_LENGTH, BASE62)}"
        api_key = APIKey.objects.create(
            user=user,
            name=name,
            prefix="gh_pat_",
            key_id=key_id,
            key_hash=make_password(raw, hasher=KEY_HASHER),
            scope=" ".join(scopes),
        )
        return api_key, raw

    return _make

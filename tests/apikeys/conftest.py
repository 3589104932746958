import pytest

from apps.apikeys.services import create_api_key


@pytest.fixture
def make_key(user):
    """`make_key(["read"])`: an API key of `user` and its raw value, from the key service."""

    def _make(scopes=("read",), *, for_user=None, name="backup script", **kwargs):
        return create_api_key(user=for_user or user, name=name, scopes=list(scopes), **kwargs)

    return _make

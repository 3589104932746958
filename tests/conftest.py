"""Shared factories. App-specific fixtures live in tests/<app>/conftest.py."""

import pytest
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from oauth2_provider.settings import oauth2_settings

from apps.accounts.models import User
from apps.core import stamps
from apps.oauth.models import Application
from tests.oauth_flow import make_client, obtain_tokens

PASSWORD = "a-long-test-password-42"


def pytest_configure(config):
    """Tests talk plain HTTP to the test client and live server, as `make run` does, and hash fast."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    # Test users' passwords need no work factor: PBKDF2 spent most of the suite's time. Client
    # secrets and API keys keep their real hasher (CLIENT_SECRET_HASHER names it, not this list).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    # Background tasks run inline, so a test sees their effect; tests/developer/test_tasks.py
    # goes through the database backend and its worker instead.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def rsa_private_key() -> str:
    """A throwaway OIDC signing key for the test run; never the development key in var/."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(autouse=True)
def _oidc_key_and_clean_cache(settings, rsa_private_key):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": rsa_private_key}
    oauth2_settings.reload()
    # Rate-limit counters live in the cache (Redis in CI): every test starts from zero.
    cache.clear()
    stamps.forget_all()
    yield
    cache.clear()
    stamps.forget_all()
    oauth2_settings.reload()


def make_user(email: str, *, password: str = PASSWORD, verified: bool = True, **extra) -> User:
    user = User.objects.create_user(username=email.split("@")[0], email=email, password=password, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture
def user(db) -> User:
    return make_user("ada@example.com", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def other_user(db) -> User:
    return make_user("grace@example.com", first_name="Grace", last_name="Hopper")


@pytest.fixture
def developer(db) -> User:
    return make_user("dev@example.com", first_name="Dev", last_name="Eloper")


@pytest.fixture
def application(developer) -> Application:
    """A confidential authorization-code client whose secret is CLIENT_SECRET (a hashed ClientSecret row)."""
    return make_client(
        developer,
        name="Photo Printer",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "profile", "email", "read", "write", "read_profile", "write_profile"],
        description="Prints your photos.",
        homepage_url="https://printer.example.com/",
    )


@pytest.fixture
def introspecting_app(developer) -> Application:
    """A client staff marked as a resource server: it may introspect any token."""
    return make_client(
        developer,
        name="Photo API",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
    )


@pytest.fixture
def auth_client(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def tokens(client, user, application) -> dict:
    """A real token response for `user` and `application`, issued by DOT through the flow."""
    return obtain_tokens(client, user=user, application=application, scope="openid profile email read")


@pytest.fixture
def access_token(tokens) -> str:
    return tokens["access_token"]

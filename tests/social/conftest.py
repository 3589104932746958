from io import BytesIO

import pytest
import responses
from PIL import Image
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.backends.utils import load_backends

from apps.oauth.models import Application
from tests.social.providers import OIDC_ISSUER, FakeFacebook, FakeGithub, FakeGoogle, FakeOidc

SOCIAL_BACKENDS = [
    "social_core.backends.google.GoogleOAuth2",
    "social_core.backends.github.GithubOAuth2",
    "social_core.backends.facebook.FacebookOAuth2",
    "social_core.backends.open_id_connect.OpenIdConnectAuth",
]
PROVIDERS = ["google-oauth2", "github", "facebook", "oidc"]
# Providers that tell us whether the address is verified (Facebook does not).
VERIFYING = ["google-oauth2", "github", "oidc"]


@pytest.fixture(autouse=True)
def social_providers(settings, db):
    """All four providers configured, as with their GATEHOUSE_* keys set."""
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
        *SOCIAL_BACKENDS,
    ]
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = "google-client"
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "google-secret"
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_NATIVE_CLIENT_IDS = ["google-ios-client"]
    settings.SOCIAL_AUTH_GITHUB_KEY = "github-client"
    settings.SOCIAL_AUTH_GITHUB_SECRET = "github-secret"
    settings.SOCIAL_AUTH_FACEBOOK_KEY = "facebook-app"
    settings.SOCIAL_AUTH_FACEBOOK_SECRET = "facebook-secret"
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = OIDC_ISSUER
    settings.SOCIAL_AUTH_OIDC_KEY = "oidc-client"
    settings.SOCIAL_AUTH_OIDC_SECRET = "oidc-secret"
    settings.SOCIAL_AUTH_OIDC_TITLE = "Acme SSO"
    load_backends(settings.AUTHENTICATION_BACKENDS, force_load=True)
    # Discovery documents and JWKS are cached per process; each test fakes its own.
    OpenIdConnectAuth.get_openid_configuration.invalidate()
    OpenIdConnectAuth.get_jwks_keys_for_uri.invalidate()
    yield
    load_backends([], force_load=True)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fakes(rsps, rsa_private_key):
    return {
        "google-oauth2": FakeGoogle(rsps),
        "github": FakeGithub(rsps),
        "facebook": FakeFacebook(rsps),
        "oidc": FakeOidc(rsps, rsa_private_key),
    }


@pytest.fixture
def native_app(developer) -> Application:
    """A public (native) client allowed to sign people in and read their account."""
    return Application.objects.create(
        name="Pocket Printer",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        redirect_uris="https://printer.example.com/native-callback",
        allowed_scopes=["openid", "profile", "email", "read"],
    )


@pytest.fixture
def png_bytes() -> bytes:
    """A small real picture, as a provider serves profile pictures."""
    buffer = BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()

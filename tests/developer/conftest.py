import pytest

from apps.oauth.models import Application
from apps.oauth.secrets import create_client_secret


@pytest.fixture
def dev_client(client, developer):
    """The test client, signed in as the owner of `application`."""
    client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def other_client(client, other_user):
    client.force_login(other_user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def secret(application):
    """A live secret of `application`: (row, plaintext)."""
    return create_client_secret(application=application)


def make_app(owner, **extra) -> Application:
    values = {
        "name": "Extra app",
        "user": owner,
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "grant_types": [Application.GRANT_AUTHORIZATION_CODE],
        "redirect_uris": "https://extra.example.com/callback",
        "client_secret": "",
        "algorithm": Application.RS256_ALGORITHM,
        "allowed_scopes": ["openid", "profile"],
        **extra,
    }
    return Application.objects.create(**values)


def form_data(**overrides) -> dict:
    """A valid registration form for a web server app; override any field."""
    data = {
        "name": "Photo Frame",
        "description": "Shows your photos on a frame.",
        "homepage_url": "https://frame.example.com/",
        "privacy_policy_url": "https://frame.example.com/privacy",
        "terms_url": "https://frame.example.com/terms",
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "grant_types": [Application.GRANT_AUTHORIZATION_CODE],
        "redirect_uris": "https://frame.example.com/callback",
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        "allowed_scopes": ["openid", "profile"],
        "why_profile": "To show your name on the frame.",
    }
    data.update(overrides)
    return data

"""Grant types and scopes chosen in the console are what /o/authorize/ and /o/token/ enforce."""

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from apps.oauth.models import Application
from apps.oauth.secrets import create_client_secret
from tests.developer.conftest import form_data
from tests.html import input_value
from tests.oauth_flow import pkce_pair

AUTH_CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS
DEVICE_CODE = Application.GRANT_DEVICE_CODE
CALLBACK = "https://frame.example.com/callback"


@pytest.fixture
def register(dev_client):
    """Register an app through the console form; return it with a fresh secret."""

    def register(**fields) -> tuple[Application, str]:
        response = dev_client.post(reverse("developer:app-create"), form_data(**fields))
        app = Application.objects.get(name=fields.get("name", "Photo Frame"))
        if response.status_code == 200:  # a confidential app: its first secret is on the page
            return app, input_value(response, "new-secret")
        assert response.status_code == 302, response.content.decode()
        _, secret = create_client_secret(application=app)
        return app, secret

    return register


def client_credentials(app, secret, scope="read"):
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return Client().post(
        reverse("oauth2_provider:token"),
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def authorize(user, app, scope="openid"):
    """GET /o/authorize/ as `user`; approve if the consent screen shows. Returns the last response."""
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = browser.get(reverse("oauth2_provider:authorize"), params)
    if response.status_code == 200:
        response = browser.post(
            reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize", "granted": scope.split()}
        )
    return response


def redirect_error(response) -> str | None:
    assert response.status_code == 302, response.status_code
    return parse_qs(urlsplit(response["Location"]).query).get("error", [None])[0]


def test_an_app_without_the_code_grant_is_refused_at_authorize(register, user):
    app, _ = register(grant_types=[CLIENT_CREDENTIALS], redirect_uris=CALLBACK, allowed_scopes=["read"])
    assert redirect_error(authorize(user, app, scope="read")) == "unauthorized_client"


def test_an_app_with_the_code_grant_gets_a_code(register, user):
    app, _ = register()
    response = authorize(user, app)
    assert redirect_error(response) is None
    assert "code" in parse_qs(urlsplit(response["Location"]).query)


def test_an_app_without_client_credentials_is_refused_at_the_token_endpoint(register):
    app, secret = register(allowed_scopes=["openid", "read"])
    response = client_credentials(app, secret)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_an_app_with_both_grants_may_use_both(register, user):
    app, secret = register(grant_types=[AUTH_CODE, CLIENT_CREDENTIALS], allowed_scopes=["openid", "read"])
    assert client_credentials(app, secret).status_code == 200
    assert redirect_error(authorize(user, app)) is None


def test_the_device_grant_is_only_for_apps_that_enabled_it(register):
    with_device, _ = register(
        name="TV",
        client_type=Application.CLIENT_PUBLIC,
        grant_types=[DEVICE_CODE],
        redirect_uris="",
        allowed_scopes=["openid", "profile"],
    )
    without, secret = register(name="Web", allowed_scopes=["openid", "profile"])
    url, form = reverse("oauth2_provider:device-authorization"), "application/x-www-form-urlencoded"
    allowed = Client().post(
        url, urlencode({"client_id": with_device.client_id, "scope": "openid"}), content_type=form
    )
    assert allowed.status_code == 200 and "device_code" in allowed.json()
    # The web client authenticates, so what refuses it is the grant it did not enable.
    refused = Client().post(
        url,
        urlencode({"client_id": without.client_id, "client_secret": secret, "scope": "openid"}),
        content_type=form,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"


def test_a_scope_the_app_may_not_request_is_refused_at_authorize(register, user):
    app, _ = register(allowed_scopes=["openid", "profile"])
    assert redirect_error(authorize(user, app, scope="openid email")) == "invalid_scope"
    assert redirect_error(authorize(user, app, scope="openid profile")) is None


def test_a_scope_the_app_may_not_request_is_refused_at_the_token_endpoint(register):
    app, secret = register(grant_types=[CLIENT_CREDENTIALS], redirect_uris="", allowed_scopes=["read"])
    assert client_credentials(app, secret, scope="read").status_code == 200
    refused = client_credentials(app, secret, scope="write")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


def test_narrowing_scopes_in_settings_takes_effect_at_once(register, dev_client, user):
    app, _ = register(allowed_scopes=["openid", "email"])
    assert redirect_error(authorize(user, app, scope="openid email")) is None
    dev_client.post(reverse("developer:app-edit", args=[app.pk]), form_data(allowed_scopes=["openid"]))
    assert redirect_error(authorize(user, app, scope="openid email")) == "invalid_scope"

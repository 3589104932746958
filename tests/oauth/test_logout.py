"""RP-Initiated Logout (OIDC RP-Initiated Logout 1.0)."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken, IDToken, RefreshToken
from pytest_django.asserts import assertContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.oauth_flow import make_client, obtain_tokens

pytestmark = pytest.mark.django_db

LOGOUT_URL = "/o/logout/"
SIGNED_OUT = "https://printer.example.com/signed-out"


@pytest.fixture
def app_with_logout(application):
    application.post_logout_redirect_uris = SIGNED_OUT
    application.save()
    return application


def logout_params(application, tokens, **extra) -> dict:
    return {
        "id_token_hint": tokens["id_token"],
        "client_id": application.client_id,
        "post_logout_redirect_uri": SIGNED_OUT,
        "state": "bye-1",
        **extra,
    }


def test_logout_asks_before_signing_out(client, user, app_with_logout, tokens):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, logout_params(app_with_logout, tokens))
    assertContains(response, "<h1>Sign out of Gatehouse?</h1>", html=True)
    assertContains(response, "Photo Printer")
    assert "_auth_user_id" in client.session


def test_confirmed_logout_signs_out_and_returns_to_the_app_with_state(client, user, app_with_logout, tokens):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(LOGOUT_URL, {**logout_params(app_with_logout, tokens), "allow": "true"})
    assert response.status_code == 302
    assert response["Location"] == f"{SIGNED_OUT}?state=bye-1"
    assert "_auth_user_id" not in client.session


def test_logout_revokes_the_requesting_apps_tokens_only(client, user, app_with_logout, tokens, developer):
    other = make_client(
        developer,
        name="Calendar",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "read"],
    )
    obtain_tokens(client, user=user, application=other, scope="openid read")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    client.post(LOGOUT_URL, {**logout_params(app_with_logout, tokens), "allow": "true"})

    assert not AccessToken.objects.filter(application=app_with_logout).exists()
    assert not RefreshToken.objects.filter(application=app_with_logout, revoked__isnull=True).exists()
    assert not IDToken.objects.filter(application=app_with_logout).exists()
    assert AccessToken.objects.filter(application=other).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED)
    # The access token and the refresh token issued with it.
    assert event.data == {"client_id": app_with_logout.client_id, "tokens_revoked": 2, "via": "logout"}


def test_staying_signed_in_changes_nothing(client, user, app_with_logout, tokens):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    # The confirmation form's "Stay signed in": no `allow`, but the form's CSRF field.
    stay = {**logout_params(app_with_logout, tokens), "csrfmiddlewaretoken": "checked-elsewhere"}
    response = client.post(LOGOUT_URL, stay)
    assertContains(response, "You are still signed in", status_code=400)
    assert "_auth_user_id" in client.session
    assert AccessToken.objects.exists()


def test_unknown_client_id_is_an_error_page_not_a_crash(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, {"client_id": "nobody", "post_logout_redirect_uri": SIGNED_OUT})
    assertContains(response, "This sign-out link doesn't work", status_code=400)


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.test/signed-out",
        "https://PRINTER.example.com/signed-out",
        "https://printer.example.com/signed-out/",
    ],
)
def test_unregistered_post_logout_redirect_uri_is_refused(client, user, app_with_logout, tokens, uri):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, logout_params(app_with_logout, tokens, post_logout_redirect_uri=uri))
    assert response.status_code == 400
    assert "Location" not in response


def test_forged_id_token_hint_is_refused(client, user, app_with_logout, tokens):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    head, payload, _signature = tokens["id_token"].split(".")
    response = client.get(
        LOGOUT_URL, logout_params(app_with_logout, tokens, id_token_hint=f"{head}.{payload}.AAAA")
    )
    assert response.status_code == 400


def test_garbage_id_token_hint_is_refused_not_a_crash(client, user, app_with_logout, tokens):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, logout_params(app_with_logout, tokens, id_token_hint="not.a.jwt"))
    assert response.status_code == 400


def test_logout_page_is_served_by_gatehouse():
    from django.urls import resolve

    from apps.oauth.endpoints.oidc import LogoutView

    assert resolve(reverse("oauth2_provider:rp-initiated-logout")).func.view_class is LogoutView


@pytest.mark.parametrize("payload", [b"not json", b"5", b'{"aud": [["nested"]]}', b'{"aud": "x"}'])
def test_id_token_hint_with_a_strange_payload_is_refused_not_a_crash(
    client, user, app_with_logout, tokens, payload
):
    import base64

    head = tokens["id_token"].split(".")[0]
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(
        LOGOUT_URL, logout_params(app_with_logout, tokens, id_token_hint=f"{head}.{body}.AAAA")
    )
    assert response.status_code == 400


def test_logout_without_a_return_address_lands_on_the_home_page(client, user, app_with_logout):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(LOGOUT_URL, {"client_id": app_with_logout.client_id, "allow": "true"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_id_token_hint_signed_by_a_rotated_out_key_still_works(
    client, user, app_with_logout, tokens, settings
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    old = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": fresh.decode(),
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old],
    }
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, logout_params(app_with_logout, tokens))
    assertContains(response, "<h1>Sign out of Gatehouse?</h1>", html=True)


def test_id_token_hint_signed_by_an_unknown_key_is_refused(client, user, app_with_logout, tokens, settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": fresh.decode()}
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LOGOUT_URL, logout_params(app_with_logout, tokens))
    assert response.status_code == 400


# --- Logout requests by POST (RP-Initiated Logout 1.0 section 2) -------------------------------


def test_logout_request_by_post_from_the_rp_works_like_a_get(user, app_with_logout, tokens):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = logout_params(app_with_logout, tokens)
    response = browser.post(LOGOUT_URL, params)
    assert response.status_code == 303
    location = urlparse(response["Location"])
    assert location.path == LOGOUT_URL
    assert {k: v[0] for k, v in parse_qs(location.query).items()} == params
    assertContains(browser.get(response["Location"]), "<h1>Sign out of Gatehouse?</h1>", html=True)
    assert "_auth_user_id" in browser.session


def test_confirmation_without_a_csrf_token_is_refused(user, app_with_logout, tokens):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.post(LOGOUT_URL, {**logout_params(app_with_logout, tokens), "allow": "true"})
    assert response.status_code == 403
    assert "_auth_user_id" in browser.session


def test_confirmation_form_with_its_csrf_token_signs_out(user, app_with_logout, tokens):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = browser.get(LOGOUT_URL, logout_params(app_with_logout, tokens))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post(
        LOGOUT_URL, {**logout_params(app_with_logout, tokens), "allow": "true", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{SIGNED_OUT}?state=bye-1"
    assert "_auth_user_id" not in browser.session


def test_head_does_not_sign_out(client, user, app_with_logout):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.head(LOGOUT_URL, {"client_id": app_with_logout.client_id})
    assert response.status_code == 405
    assert "_auth_user_id" in client.session

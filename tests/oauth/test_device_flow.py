"""The device authorization grant (RFC 8628): codes, the user-code page, polling, errors."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_device_grant_model
from pytest_django.asserts import assertContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post, make_client, token_request

pytestmark = pytest.mark.django_db

DeviceGrant = get_device_grant_model()

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def tv(developer):
    """A public client (no secret), as TV apps are."""
    return make_client(
        developer,
        name="Photo Frame",
        grant_types=[Application.GRANT_DEVICE_CODE],
        secret=None,
        allowed_scopes=["openid", "profile", "read"],
    )


def start(client, app, **data) -> dict:
    response = form_post(
        client, reverse("oauth2_provider:device-authorization"), {"client_id": app.client_id, **data}
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()


def poll(client, app, device_code: str, **extra):
    DeviceGrant.objects.update(last_checked=timezone.now() - timedelta(seconds=10))  # the device waited
    return token_request(
        client, {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": app.client_id}, **extra
    )


def enter_and_allow(client, user, code: str, action: str = "accept"):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    entered = client.post(reverse("oauth2_provider:device"), {"user_code": code.lower().replace("-", " ")})
    assert entered.status_code == 302, entered.content[:300]
    decided = client.post(entered["Location"], {"action": action})
    assert decided.status_code == 302
    return client.get(decided["Location"])


def test_device_authorization_answers_with_codes_and_absolute_urls(client, tv):
    body = start(client, tv, scope="read")
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == "http://testserver/o/device/"
    assert body["verification_uri_complete"] == f"http://testserver/o/device/?user_code={body['user_code']}"
    assert body["interval"] == 5 and body["expires_in"] > 0
    assert DeviceGrant.objects.get().scope == "read"


def test_confidential_client_may_start_with_basic_auth_only(client, developer):
    app = make_client(developer, name="Console", grant_types=[Application.GRANT_DEVICE_CODE])
    response = form_post(
        client,
        reverse("oauth2_provider:device-authorization"),
        {"scope": "read"},
        **basic_auth(app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    assert DeviceGrant.objects.get().client_id == app.client_id


def test_client_without_the_device_grant_cannot_start(client, application):
    response = form_post(
        client,
        reverse("oauth2_provider:device-authorization"),
        {"scope": "read"},
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not DeviceGrant.objects.exists()


def test_device_authorization_with_unknown_client_is_an_oauth_error(client, db):
    response = form_post(client, reverse("oauth2_provider:device-authorization"), {"client_id": "nobody"})
    assert response.status_code == 400
    # What it answers today; RFC 6749 5.2 would call an unknown client invalid_client.
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


def test_polling_before_the_user_decides_is_authorization_pending(client, tv):
    body = start(client, tv)
    response = poll(client, tv, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "authorization_pending"
    assert response["Cache-Control"] == "no-store"


def test_polling_faster_than_the_interval_is_slow_down(client, tv):
    body = start(client, tv)
    response = token_request(
        client, {"grant_type": DEVICE_GRANT, "device_code": body["device_code"], "client_id": tv.client_id}
    )
    assert response.status_code == 400 and response.json()["error"] == "slow_down"


def test_user_allows_the_device_and_it_gets_tokens(client, user, tv):
    body = start(client, tv, scope="openid read")
    status_page = enter_and_allow(client, user, body["user_code"])
    assertContains(status_page, "Device connected")

    response = poll(client, tv, body["device_code"])

    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["scope"] == "openid read" and tokens["refresh_token"]
    assert AccessToken.objects.get().user == user
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.TOKEN_ISSUED, data__grant_type=DEVICE_GRANT
    ).exists()


def test_user_denies_the_device(client, user, tv):
    body = start(client, tv)
    assertContains(enter_and_allow(client, user, body["user_code"], action="deny"), "Device refused")
    response = poll(client, tv, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "access_denied"


def test_unknown_device_code_is_invalid_grant_json(client, tv):
    response = poll(client, tv, "not-a-device-code")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response["Cache-Control"] == "no-store"


def test_missing_device_code_is_invalid_request(client, tv):
    response = token_request(client, {"grant_type": DEVICE_GRANT, "client_id": tv.client_id})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_another_clients_device_code_is_invalid_grant(client, user, tv, developer):
    other = make_client(developer, name="Other TV", grant_types=[Application.GRANT_DEVICE_CODE], secret=None)
    body = start(client, tv)
    enter_and_allow(client, user, body["user_code"])
    response = poll(client, other, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_expired_device_code_is_expired_token(client, tv):
    body = start(client, tv)
    DeviceGrant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = poll(client, tv, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "expired_token"


def test_device_code_is_single_use_and_a_replay_revokes_its_tokens(client, user, tv):
    body = start(client, tv)
    enter_and_allow(client, user, body["user_code"])
    assert poll(client, tv, body["device_code"]).status_code == 200

    replay = poll(client, tv, body["device_code"])

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REUSE).data["replayed"] == "device_code"


def test_user_code_page_needs_a_signed_in_user(client, db):
    response = client.get(reverse("oauth2_provider:device"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_user_code_page_is_prefilled_from_the_complete_uri(client, user, tv):
    body = start(client, tv)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(body["verification_uri_complete"].removeprefix("http://testserver"))
    assertContains(response, "<h1>Connect a device</h1>", html=True)
    assertContains(response, f'value="{body["user_code"]}"')


def test_wrong_user_code_shows_an_error(client, user, tv):
    start(client, tv)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("oauth2_provider:device"), {"user_code": "BBBB-BBBB"})
    assertContains(response, "That code is not valid", status_code=200)


def test_confirm_page_shows_the_app_and_what_it_asks(client, user, tv):
    body = start(client, tv, scope="openid read")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    entered = client.post(reverse("oauth2_provider:device"), {"user_code": body["user_code"]})
    page = client.get(entered["Location"])
    assertContains(page, "Photo Frame")
    assertContains(page, body["user_code"])
    assertContains(page, "Read your account")
    assertContains(page, "Unverified app")


def test_guessing_user_codes_is_rate_limited(client, user, tv):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(10):
        client.post(reverse("oauth2_provider:device"), {"user_code": "BBBB-BBBB"})
    response = client.post(reverse("oauth2_provider:device"), {"user_code": "BBBB-BBBB"})
    assertContains(response, "Too many attempts", status_code=429)
    assert int(response["Retry-After"]) > 0


def test_an_allowed_device_app_is_listed_under_connected_apps(client, user, tv):
    from apps.oauth.models import Consent

    body = start(client, tv, scope="openid read")
    enter_and_allow(client, user, body["user_code"])
    assert poll(client, tv, body["device_code"]).status_code == 200
    consent = Consent.objects.get(user=user, application=tv)
    assert set(consent.scopes) == {"openid", "read"}
    assertContains(client.get(reverse("oauth:connected-apps")), "Photo Frame")


@pytest.mark.parametrize(
    "header",
    ["Basic ###", "Basic", "Basic bm8tY29sb24=", "Basic bm9ib2R5Ong="],
    ids=["garbage", "empty", "no-colon", "unknown-client"],
)
def test_malformed_basic_header_is_invalid_client_with_a_basic_challenge(client, tv, header):
    response = form_post(
        client, reverse("oauth2_provider:device-authorization"), {"scope": "read"}, HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert response["Cache-Control"] == "no-store"
    assert not DeviceGrant.objects.exists()


def test_deny_comes_before_allow_as_on_the_consent_screen(client, user, tv):
    body = start(client, tv, scope="openid")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    entered = client.post(reverse("oauth2_provider:device"), {"user_code": body["user_code"]})
    html = client.get(entered["Location"]).content.decode()
    assert html.index('value="deny"') < html.index('value="accept"')

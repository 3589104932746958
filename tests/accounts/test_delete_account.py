"""Deleting an account: confirm it's you, see what goes, then nothing can act as the user any more."""

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken, IDToken, RefreshToken, get_grant_model
from pytest_django.asserts import assertContains, assertRedirects

from apps.accounts.models import Profile, User
from apps.accounts.services import deletion_impact
from apps.apikeys.services import create_api_key
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.oauth.models import Application, Consent
from tests.accounts.conftest import make_session, reauthenticate, upload
from tests.conftest import PASSWORD
from tests.oauth_flow import make_client, obtain_tokens, refresh

pytestmark = pytest.mark.django_db
Grant = get_grant_model()
URL = reverse("accounts:delete-account")


@pytest.fixture
def own_app(user) -> Application:
    """An OAuth client that `user` registered."""
    return make_client(
        user,
        name="Ada's Notebook",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "profile", "email", "read"],
    )


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_deletion_asks_to_confirm_it_is_you(auth_client):
    response = auth_client.get(URL)
    assert response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]


def test_wrong_password_does_not_unlock_deletion(auth_client, user):
    response = auth_client.post(reverse("account_reauthenticate"), {"password": "wrong-password-123"})
    assertContains(response, "Incorrect password")
    assert auth_client.get(URL).status_code == 302
    assert User.objects.filter(pk=user.pk).exists()


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.post(URL, {"confirm": "on"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_page_shows_what_goes_including_apps_and_the_people_using_them(
    client, user, other_user, application, own_app
):
    obtain_tokens(client, user=user, application=application, scope="openid read")
    obtain_tokens(client, user=other_user, application=own_app, scope="openid profile")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    reauthenticate(client)
    response = client.get(URL)
    assertContains(response, "Ada&#x27;s Notebook")
    assertContains(response, "<strong>1 other person</strong>", html=True)
    assertContains(
        response,
        "<li><strong>1 app</strong> you gave access loses it; 1 active token stops working at once.</li>",
        html=True,
    )


def test_deletion_impact_queries_do_not_grow_with_apps(user, django_assert_max_num_queries):
    for i in range(20):
        Application.objects.create(
            name=f"App {i}", user=user, client_type="public", authorization_grant_type="authorization-code"
        )
    with django_assert_max_num_queries(7):
        impact = deletion_impact(user=user)
    assert len(impact.applications) == 20


def test_deletion_needs_the_box_ticked(auth_client, user):
    reauthenticate(auth_client)
    response = auth_client.post(URL, {})
    assertContains(response, "Tick the box to confirm")
    assert User.objects.filter(pk=user.pk).exists()


def test_deleting_leaves_no_usable_token_consent_key_or_session(
    client, user, other_user, application, own_app, django_capture_on_commit_callbacks
):
    # Everything that can act as the user, created through the real flows.
    mine = obtain_tokens(client, user=user, application=application, scope="openid profile read")
    theirs = obtain_tokens(client, user=other_user, application=own_app, scope="openid profile")
    _, raw_key = create_api_key(user=user, name="backup script", scopes=["read"])
    laptop = make_session(user)
    Profile.objects.for_user(user).avatar.save("me.png", upload())
    avatar = Profile.objects.get(user=user).avatar
    own_app.logo.save("logo.png", upload("logo.png"))
    logo = Application.objects.get(pk=own_app.pk).logo
    assert logo.storage.exists(logo.name)
    assert client.get("/api/me/", **bearer(mine["access_token"])).status_code == 200
    assert client.get("/api/me/", **bearer(raw_key)).status_code == 200

    browser = Client()
    browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    reauthenticate(browser)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(URL, {"confirm": "on"})
    assertRedirects(response, reverse("core:home"), fetch_redirect_response=False)

    assert not User.objects.filter(pk=user.pk).exists()
    for token in (mine["access_token"], theirs["access_token"], raw_key):
        assert client.get("/api/me/", **bearer(token)).status_code == 401
    assert refresh(client, application, mine["refresh_token"]).status_code == 400
    assert refresh(client, own_app, theirs["refresh_token"]).status_code == 401
    assert not Consent.objects.filter(user_id=user.pk).exists()
    assert not Application.objects.filter(pk=own_app.pk).exists()
    assert not AccessToken.objects.exists() and not IDToken.objects.exists() and not Grant.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not laptop._session_store().exists(laptop.session_key)
    assert browser.get(reverse("accounts:security")).status_code == 302
    assert not avatar.storage.exists(avatar.name)
    assert not logo.storage.exists(logo.name)  # the app went with a bulk delete: no model code ran
    # The developer of the other app keeps their app and their users' access to it.
    assert Application.objects.filter(pk=application.pk).exists()


def test_the_audit_trail_keeps_an_anonymised_record(client, user):
    record(AuditEvent.Kind.KEY_CREATED, user=user, name="Ada's laptop key", email=user.email)
    pk = user.pk
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    reauthenticate(client)
    client.post(URL, {"confirm": "on"})

    deleted = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_DELETED)
    assert (deleted.user, deleted.subject) == (None, str(pk))
    events = AuditEvent.objects.filter(subject=str(pk))
    assert events.count() > 2
    for event in events:
        assert event.user is None and event.ip_address is None and event.user_agent == ""
        assert "ada" not in str(event.data).lower() and "lovelace" not in str(event.data).lower()


def test_get_shows_the_page_without_deleting(auth_client, user):
    reauthenticate(auth_client)
    assertContains(auth_client.get(URL), "Delete my account")
    assert User.objects.filter(pk=user.pk).exists()

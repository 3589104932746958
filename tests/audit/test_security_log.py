"""The security log: the user's own audit events, newest first, paginated, filterable."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.audit.services import record
from tests.html import texts

pytestmark = pytest.mark.django_db
URL = reverse("audit:security-log")
Kind = AuditEvent.Kind


def test_log_shows_the_users_events(auth_client, user, rf):
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.8", HTTP_USER_AGENT="Mozilla/5.0 (Macintosh; Mac OS X 14_0) Safari/605.1.15"
    )
    record(Kind.SIGN_IN_FAILED, user=user, request=request)
    record(Kind.MFA_ENABLED, user=user, type="totp")
    record(Kind.KEY_CREATED, user=user, name="deploy script")
    response = auth_client.get(URL)
    assertContains(response, "<h1>Security log</h1>", html=True)
    assertContains(response, "Failed sign-in")
    assertContains(response, "Safari on macOS")
    assertContains(response, "Local network")
    assertContains(response, "Authenticator app")
    assertContains(response, "“deploy script”")


def test_log_shows_only_the_users_own_events(auth_client, other_user):
    record(Kind.PASSWORD_CHANGED, user=other_user)
    record(Kind.KEY_REVOKED, user=other_user, name="grace's secret key")
    response = auth_client.get(URL)
    assertNotContains(response, "Password changed")
    assertNotContains(response, "grace")


def test_newest_event_comes_first(auth_client, user):
    record(Kind.PASSWORD_CHANGED, user=user)
    record(Kind.EMAIL_ADDED, user=user)
    shown = texts(auth_client.get(URL), "p", "event-kind")
    # A new email address also carries a "Check" badge; the order is what matters here.
    assert shown[0].startswith(str(Kind.EMAIL_ADDED.label)) and shown[1] == Kind.PASSWORD_CHANGED.label


def test_log_is_paginated(auth_client, user):
    for _ in range(30):
        record(Kind.TOKEN_ISSUED, user=user, application="Photo Printer")
    first = auth_client.get(URL)
    assertContains(first, "Page 1 of 2")
    assert len(texts(first, "p", "event-kind")) == 25
    second = auth_client.get(URL, {"page": 2})
    assert len(texts(second, "p", "event-kind")) == 31 - 25  # plus the sign-in of auth_client


def test_filter_shows_one_group_and_keeps_it_across_pages(auth_client, user):
    for _ in range(30):
        record(Kind.TOKEN_ISSUED, user=user)
    record(Kind.PASSWORD_CHANGED, user=user)
    response = auth_client.get(URL, {"show": "account"})
    assert texts(response, "p", "event-kind") == [Kind.PASSWORD_CHANGED.label]
    paged = auth_client.get(URL, {"show": "apps"})
    assertContains(paged, "?show=apps&amp;page=2")


def test_unknown_filter_shows_everything(auth_client, user):
    record(Kind.PASSWORD_CHANGED, user=user)
    assertContains(auth_client.get(URL, {"show": "nonsense"}), "Password changed")


def test_htmx_request_gets_only_the_list(auth_client, user):
    record(Kind.PASSWORD_CHANGED, user=user)
    response = auth_client.get(URL, {"show": "account"}, HTTP_HX_REQUEST="true")
    assertNotContains(response, "<html")
    assertContains(response, 'id="event-list"')
    assert response["Vary"].count("HX-Request") == 1


@pytest.mark.parametrize("count", [1, 50])
def test_log_queries_do_not_grow_with_events(auth_client, user, count, django_assert_max_num_queries):
    for _ in range(count):
        record(Kind.SIGNED_IN, user=user)
    auth_client.get(URL)
    with django_assert_max_num_queries(10):
        auth_client.get(URL)


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_security_page_shows_recent_activity_and_links_to_the_log(auth_client, user):
    record(Kind.MFA_ENABLED, user=user, type="totp")
    response = auth_client.get(reverse("accounts:security"))
    assertContains(response, "Two-factor authentication added")
    assertContains(response, f'href="{URL}"')


def test_provider_is_named_as_people_know_it(auth_client, user, settings):
    settings.SOCIAL_AUTH_OIDC_TITLE = "Acme SSO"
    record(Kind.IDENTITY_LINKED, user=user, provider="google-oauth2")
    record(Kind.IDENTITY_UNLINKED, user=user, provider="oidc")
    details = texts(auth_client.get(URL), "p", "small")
    assert "Google" in details and "Acme SSO" in details
    assert not {"Google-Oauth2", "Oidc"} & set(details)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"step": "password"}, "Wrong password"),
        ({}, "Wrong password"),
        ({"step": "second_factor", "factor": "totp"}, "Wrong authenticator-app code"),
        ({"step": "second_factor", "factor": "recovery_codes"}, "Wrong recovery code"),
        ({"step": "second_factor", "factor": "webauthn"}, "Passkey not accepted"),
    ],
)
def test_failed_sign_in_says_which_step_failed(auth_client, user, data, shown):
    record(Kind.SIGN_IN_FAILED, user=user, **data)
    assert shown in texts(auth_client.get(URL), "p", "small")


def test_password_sign_in_says_so(client, user):
    from tests.conftest import PASSWORD

    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    event = AuditEvent.objects.get(user=user, kind=Kind.SIGNED_IN)
    assert event.data == {"method": "password"}
    assert "With password" in texts(client.get(URL), "p", "small")


def test_passkey_sign_in_names_the_passkey(auth_client, user):
    record(Kind.SIGNED_IN, user=user, method="passkey", passkey="Work laptop")
    assert "With a passkey · “Work laptop”" in texts(auth_client.get(URL), "p", "small")

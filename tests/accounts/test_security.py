"""The security page: password, email, two-step status, sessions and recent activity."""

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from apps.accounts.services import list_sessions
from apps.audit.models import AuditEvent
from apps.audit.services import record
from tests.accounts.conftest import make_session, reauthenticate
from tests.conftest import PASSWORD
from tests.html import texts

pytestmark = pytest.mark.django_db
URL = reverse("accounts:security")
HTMX = {"HTTP_HX_REQUEST": "true"}


def end_url(session: UserSession) -> str:
    return reverse("accounts:end-session", args=[session.pk])


def session_exists(session: UserSession) -> bool:
    return session._session_store().exists(session.session_key)


# --- Page ---------------------------------------------------------------------------------


def test_security_page_gathers_email_password_two_step_and_sessions(auth_client, user):
    response = auth_client.get(URL)
    assertContains(response, "<h1>Security</h1>", html=True)
    assertContains(response, "ada@example.com")
    assertContains(response, "Change password")
    assertContains(response, 'href="/accounts/2fa/totp/activate/"')
    assertContains(response, "Two-step verification")
    assertContains(response, "Where you're signed in")
    assertContains(response, "This browser")
    assertContains(response, reverse("audit:security-log"))


def test_security_page_recommends_a_second_step_until_there_is_one(auth_client):
    assertContains(auth_client.get(URL), "Protect your account with a second step.")


def test_security_page_shows_when_the_password_last_changed(auth_client, user):
    record(AuditEvent.Kind.PASSWORD_CHANGED, user=user)
    assertContains(auth_client.get(URL), "Last changed")


def test_user_without_a_password_is_offered_to_set_one(auth_client, user):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assertContains(auth_client.get(URL), "Set a password")


@pytest.mark.parametrize("usable", [True, False], ids=["change", "set"])
def test_the_password_pages_post_to_their_own_action(auth_client, user, usable):
    if not usable:
        user.set_unusable_password()
        user.save()
        auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    name, label = (
        ("account_change_password", "Change password") if usable else ("account_set_password", "Set password")
    )
    response = auth_client.get(reverse(name))
    assertContains(response, f'action="{reverse(name)}"')
    assertContains(
        response, f'<button type="submit" class="button button-primary">{label}</button>', html=True
    )


def test_anonymous_user_is_sent_to_sign_in(client):
    assertRedirects(client.get(URL), f"{reverse('account_login')}?next={URL}", fetch_redirect_response=False)


@pytest.mark.parametrize("count", [1, 40])
def test_security_page_queries_do_not_grow_with_sessions_and_events(
    auth_client, user, count, django_assert_max_num_queries
):
    auth_client.get(URL)  # allauth tracks this browser's session
    for _ in range(count):
        make_session(user)
        record(AuditEvent.Kind.SIGNED_IN, user=user)
    with django_assert_max_num_queries(16):
        response = auth_client.get(URL)
    assert len(texts(response, "p", "device-name")) == count + 1


def test_only_the_users_own_sessions_are_listed(auth_client, user, other_user):
    make_session(other_user, user_agent="Mozilla/5.0 (Macintosh) Safari/605.1.15", ip="198.51.100.99")
    response = auth_client.get(URL)
    assertNotContains(response, "198.51.100.99")


def test_sessions_show_device_place_and_last_seen(auth_client, user):
    make_session(
        user, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile Safari/604.1", ip="10.1.2.3"
    )
    response = auth_client.get(URL)
    assertContains(response, "Safari on iPhone")
    assertContains(response, "Local network")
    assertContains(response, "Last active")


def test_a_sessions_last_activity_is_kept_to_the_minute_with_one_write(auth_client, user, time_machine):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    auth_client.get(URL)  # a session's first request records it
    session = UserSession.objects.get(user=user)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now() - timedelta(hours=2))
    auth_client.get(URL)  # within the minute: not written again
    assert UserSession.objects.get(pk=session.pk).last_seen_at < timezone.now() - timedelta(hours=1)
    time_machine.shift(61)
    cache.clear()  # what a minute does to the marker (Redis's own clock does not travel)
    auth_client.get(URL, REMOTE_ADDR="198.51.100.4")
    session.refresh_from_db()
    assert timezone.now() - session.last_seen_at < timedelta(minutes=1)
    assert session.ip == "198.51.100.4"


def test_ended_sessions_are_forgotten_in_the_list(user):
    session = make_session(user)
    session._session_store().delete(session.session_key)
    assert list_sessions(user=user) == []
    assert not UserSession.objects.filter(pk=session.pk).exists()


def test_sessions_from_before_a_password_change_are_not_listed(user):
    make_session(user)
    user.set_password("another-long-password-77")
    user.save()
    assert list_sessions(user=user) == []


# --- Ending one session (POST-only action: the four tests) --------------------------------


def test_owner_signs_out_another_session(auth_client, user):
    session = make_session(user)
    response = auth_client.post(end_url(session))
    assertRedirects(response, URL + "#sessions", fetch_redirect_response=False)
    assert not session_exists(session)
    assert not UserSession.objects.filter(pk=session.pk).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert (event.user, event.data) == (user, {"device": "Firefox on Windows"})


def test_other_users_session_is_404(auth_client, other_user):
    session = make_session(other_user)
    assert auth_client.post(end_url(session)).status_code == 404
    assert session_exists(session)


def test_anonymous_cannot_end_a_session(client, user):
    session = make_session(user)
    response = client.post(end_url(session))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert session_exists(session)


def test_get_cannot_end_a_session(auth_client, user):
    session = make_session(user)
    assert auth_client.get(end_url(session)).status_code == 405
    assert session_exists(session)


def test_htmx_sign_out_returns_the_updated_list(auth_client, user):
    session = make_session(user, user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
    response = auth_client.post(end_url(session), **HTMX)
    assertNotContains(response, "<html")
    assertContains(response, 'id="session-list"')
    assertContains(response, "That session is signed out.")
    assertNotContains(response, "Chrome on Linux")


def test_signing_out_another_session_really_ends_it(client, user):
    """Two browsers signed in as the same person; one signs the other out."""
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert browser.get(URL).status_code == 200
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)
    laptop.post(end_url(phone_session))
    response = phone.get(URL)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert laptop.get(URL).status_code == 200


def test_signing_out_this_browser_goes_to_the_sign_out_page(auth_client, user):
    auth_client.get(URL)
    current = UserSession.objects.get(session_key=auth_client.session.session_key)
    assertRedirects(
        auth_client.post(end_url(current)), reverse("account_logout"), fetch_redirect_response=False
    )


# --- Ending all other sessions -------------------------------------------------------------


def test_sign_out_everywhere_else_keeps_this_browser(auth_client, user, other_user):
    auth_client.get(URL)
    mine = [make_session(user) for _ in range(3)]
    theirs = make_session(other_user)
    response = auth_client.post(reverse("accounts:end-other-sessions"), **HTMX)
    assertContains(response, "Signed out of 3 other sessions.")
    assert not any(session_exists(s) for s in mine)
    assert session_exists(theirs)
    assert auth_client.get(URL).status_code == 200
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SESSION_ENDED).count() == 3


def test_sign_out_everywhere_else_refuses_get(auth_client):
    assert auth_client.get(reverse("accounts:end-other-sessions")).status_code == 405


def test_sign_out_everywhere_else_sends_anonymous_users_to_sign_in(client):
    response = client.post(reverse("accounts:end-other-sessions"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- Password change (allauth's view, our page) ---------------------------------------------


def test_wrong_current_password_is_refused(auth_client, user):
    reauthenticate(auth_client)
    response = auth_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not-my-password",
            "password1": "a-new-long-password-1",
            "password2": "a-new-long-password-1",
        },
    )
    assertContains(response, "Please type your current password.")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_changing_the_password_returns_to_security_and_is_logged(auth_client, user):
    response = auth_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-password-1", "password2": "a-new-long-password-1"},
    )
    assertRedirects(response, URL, fetch_redirect_response=False)
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.PASSWORD_CHANGED).exists()


def test_email_page_lists_addresses_with_a_way_back(auth_client):
    response = auth_client.get(reverse("account_email"))
    assertContains(response, "ada@example.com")
    assertContains(response, f'href="{URL}"')


def test_adding_an_invalid_email_address_says_why(reauthed_client):
    response = reauthed_client.post(reverse("account_email"), {"email": "not-an-address", "action_add": ""})
    assertContains(response, "Enter a valid email address.")
    assertContains(response, 'value="not-an-address"')


def test_added_address_is_listed_unverified_and_can_be_removed(reauthed_client, user, mailoutbox):
    reauthed_client.post(reverse("account_email"), {"email": "ada@work.example", "action_add": ""})
    assertContains(reauthed_client.get(URL), "ada@work.example")
    assertContains(reauthed_client.get(reverse("account_email")), "Not verified")
    assert mailoutbox[-1].to == ["ada@work.example"]
    reauthed_client.post(reverse("account_email"), {"email": "ada@work.example", "action_remove": ""})
    assert not user.emailaddress_set.filter(email="ada@work.example").exists()


def test_allauths_own_sessions_and_two_step_pages_use_the_same_panels(auth_client, user):
    make_session(user, user_agent="Mozilla/5.0 (Android 14; Mobile) Firefox/131.0")
    sessions = auth_client.get(reverse("usersessions_list"))
    assertContains(sessions, "Firefox on Android")
    assertContains(sessions, "Sign out of all other sessions")
    assertContains(auth_client.get(reverse("mfa_index")), 'id="two-step-heading"')

"""The staff console: who may use it, the verification queue, suspension, people tools, overview."""

import base64

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.oauth.identity import identity_snapshot
from apps.oauth.models import Application
from tests.conftest import PASSWORD, make_user
from tests.oauth.consent_support import screen_for
from tests.oauth_flow import introspect, obtain_tokens, refresh, token_request

State = Application.Verification
Kind = AuditEvent.Kind


def fresh_login(client: Client, user) -> Client:
    """Signed in and re-authenticated just now, as allauth records it in the session."""
    from allauth.account.internal.flows.login import record_authentication

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    request = type("Request", (), {"session": session})()
    record_authentication(request, user, "password", reauthenticated=True)
    session.save()
    return client


@pytest.fixture
def staff_member(db):
    return make_user("sam@example.com", first_name="Sam", last_name="Staff", is_staff=True)


@pytest.fixture
def staff_client(staff_member) -> Client:
    return fresh_login(Client(), staff_member)


@pytest.fixture
def in_review(application) -> Application:
    application.verification = State.IN_REVIEW
    application.verification_domain = "printer.example.com"
    application.verified_identity = identity_snapshot(application)
    application.save()
    return application


def userinfo(client: Client, token: str):
    return client.get(reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {token}")


# --- Who may use it --------------------------------------------------------------------------

PAGES = ["staff:overview", "staff:verification-queue", "staff:app-list", "staff:person-list"]


@pytest.mark.parametrize("name", PAGES)
def test_staff_see_the_pages(staff_client, name):
    assert staff_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_people_who_are_not_staff_get_a_404(auth_client, name):
    assert auth_client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_dashboard_links_the_console_for_staff_only(staff_client, auth_client):
    assertContains(staff_client.get(reverse("core:dashboard")), reverse("staff:overview"))
    assertNotContains(auth_client.get(reverse("core:dashboard")), reverse("staff:overview"))


def actions(application, user) -> list[tuple[str, list]]:
    return [
        ("staff:verification-approve", [application.pk]),
        ("staff:verification-reject", [application.pk]),
        ("staff:app-suspend", [application.pk]),
        ("staff:app-reinstate", [application.pk]),
        ("staff:person-lock", [user.pk]),
        ("staff:person-unlock", [user.pk]),
        ("staff:person-sign-out", [user.pk]),
        ("staff:person-reset-mfa", [user.pk]),
    ]


@pytest.mark.parametrize("index", range(8))
def test_actions_are_404_for_people_who_are_not_staff(client, user, application, index):
    name, args = actions(application, user)[index]
    fresh_login(client, user)
    assert client.post(reverse(name, args=args), {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("index", range(8))
def test_actions_send_anonymous_users_to_sign_in(client, user, application, index):
    name, args = actions(application, user)[index]
    response = client.post(reverse(name, args=args))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("index", range(8))
def test_actions_refuse_get(staff_client, user, application, index):
    name, args = actions(application, user)[index]
    assert staff_client.get(reverse(name, args=args)).status_code == 405


def test_an_action_needs_a_recent_reauthentication(client, staff_member, application):
    client.force_login(staff_member, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("staff:app-suspend", args=[application.pk]), {"reason": "Phishing"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    application.refresh_from_db()
    assert not application.suspended


def test_after_reauthenticating_the_action_goes_through(client, staff_member, application):
    client.force_login(staff_member, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("staff:app-suspend", args=[application.pk])
    client.post(url, {"reason": "Phishing"})
    response = client.post(f"{reverse('account_reauthenticate')}?next={url}", {"password": PASSWORD})
    assert response.status_code in (200, 302)
    application.refresh_from_db()
    assert application.suspended and application.suspended_reason == "Phishing"


# --- Verification queue ----------------------------------------------------------------------


def test_the_queue_lists_apps_in_review(staff_client, in_review):
    response = staff_client.get(reverse("staff:verification-queue"))
    assertContains(response, "Photo Printer")
    assertContains(response, "printer.example.com")


def test_approving_verifies_the_app_and_tells_the_developer(staff_client, in_review, auth_client):
    staff_client.post(reverse("staff:verification-approve", args=[in_review.pk]))
    in_review.refresh_from_db()
    assert in_review.verification == State.VERIFIED
    event = AuditEvent.objects.get(kind=Kind.VERIFICATION_APPROVED)
    assert event.user == in_review.user and event.data["staff"] == "Sam Staff"
    assert mail.outbox[0].to == [in_review.user.email] and "is verified" in mail.outbox[0].subject
    response, _ = screen_for(auth_client, in_review)
    assertContains(response, "Verified app")
    assertNotContains(response, "Unverified app.")


def test_an_app_changed_since_its_check_cannot_be_approved(staff_client, in_review):
    Application.objects.filter(pk=in_review.pk).update(name="Totally Different")
    response = staff_client.post(reverse("staff:verification-approve", args=[in_review.pk]), follow=True)
    assertContains(response, "changed since its domain was proven")
    in_review.refresh_from_db()
    assert in_review.verification == State.IN_REVIEW


def test_rejecting_needs_a_reason(staff_client, in_review):
    response = staff_client.post(reverse("staff:verification-reject", args=[in_review.pk]), {"reason": " "})
    assert response.status_code == 400
    assertContains(response, "This field is required.", status_code=400)
    in_review.refresh_from_db()
    assert in_review.verification == State.IN_REVIEW


def test_rejecting_sends_the_reason_to_the_developer(staff_client, in_review, developer):
    reason = "The privacy policy is a placeholder."
    staff_client.post(reverse("staff:verification-reject", args=[in_review.pk]), {"reason": reason})
    in_review.refresh_from_db()
    assert in_review.verification == State.REJECTED and in_review.verification_note == reason
    assert reason in mail.outbox[0].body
    dev = fresh_login(Client(), developer)
    assertContains(dev.get(reverse("developer:app-detail", args=[in_review.pk])), reason)


def test_the_developers_log_names_the_staff_member(staff_client, in_review, developer):
    staff_client.post(reverse("staff:verification-approve", args=[in_review.pk]))
    log = fresh_login(Client(), developer).get(reverse("audit:security-log"))
    assertContains(log, "App verified by staff")
    assertContains(log, "By Sam Staff (Gatehouse staff)")


# --- Suspension ------------------------------------------------------------------------------


def suspend(staff_client, application, reason="Sends phishing emails."):
    return staff_client.post(reverse("staff:app-suspend", args=[application.pk]), {"reason": reason})


def test_suspending_stops_the_apps_tokens_at_once(staff_client, client, application, access_token):
    assert userinfo(client, access_token).status_code == 200
    suspend(staff_client, application)
    response = userinfo(client, access_token)
    assert response.status_code == 401 and 'error="invalid_token"' in response["WWW-Authenticate"]
    api = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert api.status_code == 401


def test_a_suspended_app_is_an_invalid_client_at_the_token_endpoint(
    staff_client, client, application, tokens
):
    suspend(staff_client, application)
    response = refresh(client, application, tokens["refresh_token"])
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    credentials = token_request(
        client,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{application.client_id}:x".encode()).decode(),
    )
    assert credentials.json()["error"] == "invalid_client"


def test_introspection_calls_a_suspended_apps_token_inactive(
    staff_client, client, application, access_token, introspecting_app
):
    suspend(staff_client, application)
    assert introspect(client, access_token, client_id=introspecting_app.client_id).json() == {"active": False}


def test_the_consent_screen_says_the_app_is_suspended(staff_client, auth_client, application):
    suspend(staff_client, application)
    response, _ = screen_for(auth_client, application)
    assertContains(response, "Photo Printer is suspended", status_code=response.status_code)
    assertNotContains(response, "Allow", status_code=response.status_code)


def test_suspension_is_audited_for_the_developer(staff_client, application):
    suspend(staff_client, application)
    event = AuditEvent.objects.get(kind=Kind.APP_SUSPENDED)
    assert event.user == application.user
    assert event.data["reason"] == "Sends phishing emails." and event.data["staff"] == "Sam Staff"


def test_reinstating_brings_the_tokens_back(staff_client, client, application, access_token):
    suspend(staff_client, application)
    staff_client.post(reverse("staff:app-reinstate", args=[application.pk]))
    assert userinfo(client, access_token).status_code == 200
    assert AuditEvent.objects.filter(kind=Kind.APP_REINSTATED).exists()


def test_suspending_needs_a_reason(staff_client, application):
    assert suspend(staff_client, application, reason="").status_code == 400
    application.refresh_from_db()
    assert not application.suspended


def test_app_search_finds_by_name_and_owner(staff_client, application):
    assertContains(staff_client.get(reverse("staff:app-list"), {"q": "printer"}), "Photo Printer")
    assertContains(staff_client.get(reverse("staff:app-list"), {"q": "dev@example.com"}), "Photo Printer")
    assertNotContains(staff_client.get(reverse("staff:app-list"), {"q": "nothing"}), "Photo Printer")


# --- People ----------------------------------------------------------------------------------


def test_people_search_by_email(staff_client, user):
    response = staff_client.get(reverse("staff:person-list"), {"q": "ada@"})
    assertContains(response, "ada@example.com")


def signed_in_elsewhere(user) -> Client:
    other = Client()
    other.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=user).exists()
    return other


def test_locking_signs_out_blocks_sign_in_and_stops_tokens(staff_client, client, user, access_token):
    browser = signed_in_elsewhere(user)
    staff_client.post(reverse("staff:person-lock", args=[user.pk]), {"reason": "Reported as compromised."})
    user.refresh_from_db()
    assert not user.is_active
    assert not UserSession.objects.filter(user=user).exists()
    assert browser.get(reverse("core:dashboard")).status_code == 302
    again = Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert not again.wsgi_request.user.is_authenticated
    assert userinfo(client, access_token).status_code == 401
    event = AuditEvent.objects.get(kind=Kind.ACCOUNT_LOCKED)
    assert event.user == user and event.data["staff"] == "Sam Staff"


def test_a_locked_accounts_refresh_token_is_refused(staff_client, client, user, application, tokens):
    staff_client.post(reverse("staff:person-lock", args=[user.pk]), {"reason": "Compromised."})
    assert refresh(client, application, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_unlocking_lets_them_sign_in_again(staff_client, user, access_token, client):
    staff_client.post(reverse("staff:person-lock", args=[user.pk]), {"reason": "Compromised."})
    staff_client.post(reverse("staff:person-unlock", args=[user.pk]))
    user.refresh_from_db()
    assert user.is_active
    assert userinfo(client, access_token).status_code == 200
    assert AuditEvent.objects.filter(kind=Kind.ACCOUNT_UNLOCKED, user=user).exists()


def test_staff_cannot_lock_themselves(staff_client, staff_member):
    response = staff_client.post(
        reverse("staff:person-lock", args=[staff_member.pk]), {"reason": "x"}, follow=True
    )
    assertContains(response, "your own account")
    staff_member.refresh_from_db()
    assert staff_member.is_active


def test_signing_out_everywhere_ends_every_session(staff_client, user):
    signed_in_elsewhere(user)
    signed_in_elsewhere(user)
    staff_client.post(reverse("staff:person-sign-out", args=[user.pk]))
    assert not UserSession.objects.filter(user=user).exists()
    assert AuditEvent.objects.get(kind=Kind.SIGNED_OUT_EVERYWHERE).data["sessions"] == 2


@pytest.fixture
def with_totp(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    return user


def test_resetting_the_second_factor_needs_the_identity_check(staff_client, with_totp):
    url = reverse("staff:person-reset-mfa", args=[with_totp.pk])
    response = staff_client.post(url, {"note": "Video call, passport seen."})
    assert response.status_code == 400
    assertContains(response, "Confirm that you checked who is asking.", status_code=400)
    assert Authenticator.objects.filter(user=with_totp).count() == 2


def test_resetting_the_second_factor_removes_every_authenticator(staff_client, with_totp):
    url = reverse("staff:person-reset-mfa", args=[with_totp.pk])
    staff_client.post(url, {"identity_checked": "on", "note": "Video call, passport seen."})
    assert not Authenticator.objects.filter(user=with_totp).exists()
    event = AuditEvent.objects.get(kind=Kind.MFA_RESET)
    assert event.data["note"] == "Video call, passport seen." and event.data["removed"] == [
        "recovery_codes",
        "totp",
    ]
    log = fresh_login(Client(), with_totp).get(reverse("audit:security-log"))
    assertContains(log, "Two-factor authentication reset by staff")
    assertContains(log, "By Sam Staff (Gatehouse staff)")


# --- Overview --------------------------------------------------------------------------------


def activity(users: int, application) -> None:
    for n in range(users):
        person = make_user(f"person{n}@example.com")
        AuditEvent.objects.create(kind=Kind.SIGNED_IN, user=person)
        AuditEvent.objects.create(kind=Kind.SIGN_IN_FAILED, user=person)
        AuditEvent.objects.create(
            kind=Kind.TOKEN_ISSUED, user=person, data={"client_id": application.client_id}
        )


@pytest.mark.parametrize("size", [2, 40])
def test_the_overview_takes_the_same_queries_at_any_size(
    staff_client, application, size, django_assert_max_num_queries
):
    activity(size, application)
    # Four for the overview and one for the queue size; the rest is any signed-in page's
    # (session, user, usersessions, messages, the saved language on a cold cache): the same at
    # 2 people as at 40.
    with django_assert_max_num_queries(14):
        response = staff_client.get(reverse("staff:overview"))
    # The staff member's own sign-in counts too.
    assert response.context["overview"].totals == {"signins": size + 1, "failed": size, "tokens": size}
    [top] = response.context["overview"].top_apps
    assert (top.name, top.tokens) == ("Photo Printer", size)


def test_the_overview_counts_real_tokens(staff_client, client, user, application):
    obtain_tokens(client, user=user, application=application, scope="openid")
    overview = staff_client.get(reverse("staff:overview")).context["overview"]
    assert overview.totals["tokens"] == 1
    assert overview.top_apps[0].live_tokens == 1

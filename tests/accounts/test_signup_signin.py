"""The foundation's account journeys through allauth's real views, forms and emails."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

STRONG = "correct-horse-battery-staple-9"


def signup(client, email="new@example.com", password=STRONG, password2=None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def link_from_last_mail(pattern: str) -> str:
    return re.search(pattern, mail.outbox[-1].body).group(0)


def test_signup_sends_a_verification_link_and_does_not_sign_in(client):
    response = signup(client)
    assertRedirects(response, reverse("account_email_verification_sent"))
    assert mail.outbox[-1].to == ["new@example.com"]
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_verifying_then_signing_in_lands_on_the_dashboard(client):
    signup(client)
    confirm_url = link_from_last_mail(r"http://testserver(/accounts/confirm-email/[^/\s]+/)")
    confirm_path = re.search(r"/accounts/confirm-email/[^/\s]+/", confirm_url).group(0)
    assertContains(client.get(confirm_path), "Confirm email address")
    client.post(confirm_path)

    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": STRONG})
    assertRedirects(response, reverse("core:dashboard"))
    assertContains(client.get(reverse("core:dashboard")), "Hello")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNED_UP).count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNED_IN).count() == 1


def test_unverified_user_cannot_sign_in(client):
    signup(client)
    client.logout()
    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": STRONG})
    assertRedirects(response, reverse("account_email_verification_sent"))
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_taken_email_rerenders_with_message_and_keeps_input(client, user):
    response = signup(client, email=user.email)
    assert response.status_code == 200
    assertContains(response, "A user is already registered with this email address.")
    assertContains(response, f'value="{user.email}"')


def test_weak_password_rerenders_with_message_and_keeps_email(client):
    response = signup(client, password="12345678")
    assert response.status_code == 200
    assertContains(response, "This password is too short")
    assertContains(response, 'value="new@example.com"')


def test_mismatched_passwords_are_refused(client):
    response = signup(client, password2=STRONG + "x")
    assertContains(response, "You must type the same password each time.")


def test_wrong_password_rerenders_keeps_email_and_is_audited(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "not-it"})
    assert response.status_code == 200
    assertContains(response, "The email address and/or password you specified are not correct.")
    assertContains(response, f'value="{user.email}"')
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert event.user == user
    assert "not-it" not in str(event.data)


def test_sign_out_is_a_post_and_is_audited(client, user):
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("account_logout"))
    assertRedirects(response, reverse("core:home"), fetch_redirect_response=False)
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGNED_OUT).exists()


def test_password_reset_through_the_emailed_link(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    path = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body).group(0)
    form_page = client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    response = client.post(action, {"password1": STRONG, "password2": STRONG})
    assertRedirects(response, reverse("account_reset_password_from_key_done"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": STRONG})
    assertRedirects(response, reverse("core:dashboard"))
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.PASSWORD_RESET).exists()


def test_password_reset_with_a_bad_token_says_so(client, user):
    response = client.get("/accounts/password/reset/key/zz-bad-token/", follow=True)
    assertContains(response, "The password reset link was invalid")


def test_password_reset_weak_new_password_rerenders(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    path = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body).group(0)
    action = client.get(path, follow=True).redirect_chain[-1][0]
    response = client.post(action, {"password1": "short", "password2": "short"})
    assert response.status_code == 200
    assertContains(response, "This password is too short")


def test_password_change_is_audited(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.PASSWORD_CHANGED).exists()


def test_password_change_with_wrong_current_password_is_refused(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong-one", "password1": STRONG, "password2": STRONG},
    )
    assertContains(response, "Please type your current password.")


def test_login_failures_are_rate_limited(client, user):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assertContains(response, "Too many failed login attempts", status_code=200)


def test_a_bad_verification_link_says_so_and_verifies_nothing(client):
    signup(client)
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assertContains(response, "expired or is invalid", status_code=200)
    client.post("/accounts/confirm-email/not-a-real-key/")
    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": STRONG})
    assertRedirects(response, reverse("account_email_verification_sent"))


def test_password_reset_requests_are_rate_limited_per_address(client, user):
    for _ in range(5):
        client.post(reverse("account_reset_password"), {"email": user.email})
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 429


def test_signups_are_rate_limited_per_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    signup(client, email="one@example.com")
    signup(client, email="two@example.com")
    assert signup(client, email="three@example.com").status_code == 429


def test_signed_in_message_names_the_person_not_the_username(client):
    from tests.conftest import make_user

    user = make_user("alice@example.com")
    user.username = "alice214559"
    user.save()
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}, follow=True
    )
    assertContains(response, "alice@example.com")
    assert "alice214559" not in response.content.decode()

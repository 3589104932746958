"""The browser flow for each provider, faked at the HTTP layer: accounts, linking, MFA, errors."""

import re
import time

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains
from social_django.models import UserSocialAuth

from apps.accounts.models import Profile, User
from apps.audit.models import AuditEvent
from tests.accounts.conftest import freeze_in_a_totp_period
from tests.conftest import make_user
from tests.social.conftest import PROVIDERS, VERIFYING
from tests.social.providers import begin, complete

Kind = AuditEvent.Kind
TITLES = {"google-oauth2": "Google", "github": "GitHub", "facebook": "Facebook", "oidc": "Acme SSO"}


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def kinds(user) -> list[str]:
    return sorted(AuditEvent.objects.filter(user=user).values_list("kind", flat=True))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def link(user, provider: str, uid: str = "uid-1") -> UserSocialAuth:
    """An identity linked earlier (social-core records which response key the uid came from)."""
    id_key = "sub" if provider in ("google-oauth2", "oidc") else "id"
    return UserSocialAuth.objects.create(user=user, provider=provider, uid=uid, id_key=id_key, extra_data={})


@pytest.mark.parametrize("provider", VERIFYING)
def test_new_person_with_verified_email_gets_an_account_and_the_dashboard(client, fakes, provider):
    params = begin(client, provider)
    fakes[provider].person(params, email="newcomer@example.com", name="Nina Newcomer")

    response = complete(client, provider, params)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    user = User.objects.get(email="newcomer@example.com")
    assert signed_in_user_id(client) == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified
    assert Profile.objects.get(user=user).display_name == "Nina Newcomer"
    assert (user.first_name, user.last_name) == ("Nina", "Newcomer")
    assert UserSocialAuth.objects.get(user=user).provider == provider
    assert kinds(user) == sorted([Kind.SIGNED_UP, Kind.IDENTITY_LINKED, Kind.SIGNED_IN])


def test_new_account_gets_the_provider_picture(client, fakes, rsps, png_bytes):
    rsps.get("https://avatars.githubusercontent.example/u/1", body=png_bytes, content_type="image/png")
    params = begin(client, "github")
    fakes["github"].person(params, email="newcomer@example.com")

    complete(client, "github", params)

    profile = Profile.objects.get(user__email="newcomer@example.com")
    assert profile.avatar.name.startswith(f"avatars/{profile.user_id}/")


def test_a_picture_that_cannot_be_fetched_does_not_stop_the_sign_in(client, fakes, rsps):
    rsps.get("https://avatars.githubusercontent.example/u/1", status=500)
    params = begin(client, "github")
    fakes["github"].person(params, email="newcomer@example.com")

    response = complete(client, "github", params)

    assert response["Location"] == reverse("core:dashboard")
    assert not Profile.objects.get(user__email="newcomer@example.com").avatar


def confirmation_link(email: str) -> str:
    message = mail.outbox[-1]
    assert message.to == [email]
    return re.search(r"http://testserver(/social/complete/\S+)", message.body).group(1)


@pytest.mark.parametrize("provider", ["github", "facebook", "oidc"])
def test_new_person_with_unverified_email_confirms_it_before_any_account_exists(client, fakes, provider):
    params = begin(client, provider)
    fakes[provider].person(params, email="newcomer@example.com", verified=False)

    response = complete(client, provider, params)

    assert response["Location"] == reverse("identities:confirm-email")
    assert signed_in_user_id(client) is None
    assert not User.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assertContains(client.get(response["Location"]), "<strong>newcomer@example.com</strong>", html=True)
    confirmation_link("newcomer@example.com")


@pytest.mark.parametrize("provider", ["github", "facebook", "oidc"])
def test_confirmation_link_in_the_same_browser_creates_the_account(client, fakes, provider):
    params = begin(client, provider)
    fakes[provider].person(params, email="newcomer@example.com", verified=False, name="Nina Newcomer")
    complete(client, provider, params)

    response = client.get(confirmation_link("newcomer@example.com"))

    assert response["Location"] == reverse("core:dashboard")
    user = User.objects.get(email="newcomer@example.com")
    assert signed_in_user_id(client) == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified
    assert Profile.objects.get(user=user).display_name == "Nina Newcomer"
    assert UserSocialAuth.objects.get(user=user).provider == provider
    assert kinds(user) == sorted([Kind.SIGNED_UP, Kind.IDENTITY_LINKED, Kind.SIGNED_IN])


def test_confirmation_link_opened_in_another_browser_creates_nothing(client, fakes):
    params = begin(client, "facebook")
    fakes["facebook"].person(params, email="newcomer@example.com", verified=False)
    complete(client, "facebook", params)
    link_path = confirmation_link("newcomer@example.com")

    response = Client().get(link_path)

    assert response["Location"] == reverse("account_login")
    assert not User.objects.exists()
    # The browser that started the sign-in can still finish it.
    assert client.get(link_path)["Location"] == reverse("core:dashboard")
    assert User.objects.filter(email="newcomer@example.com").exists()


def test_a_used_or_forged_confirmation_code_is_refused(client, fakes):
    params = begin(client, "facebook")
    fakes["facebook"].person(params, email="newcomer@example.com", verified=False)
    complete(client, "facebook", params)
    link_path = re.sub(
        r"verification_code=\w+", "verification_code=forged", confirmation_link("newcomer@example.com")
    )

    response = client.get(link_path)

    assert response["Location"] == reverse("account_login")
    assert messages_of(response) == [
        "That confirmation link has expired or was already used. Sign in with Facebook again to get a new one."
    ]
    assert not User.objects.exists()


def test_confirm_email_page_without_a_pending_sign_in_goes_to_sign_in(client):
    assert client.get(reverse("identities:confirm-email"))["Location"] == reverse("account_login")


def test_google_without_a_verified_address_is_refused(client, fakes):
    params = begin(client, "google-oauth2")
    fakes["google-oauth2"].person(params, email="newcomer@example.com", verified=False)

    response = complete(client, "google-oauth2", params)

    assert response["Location"] == reverse("account_login")
    assert messages_of(response) == [
        "Google has not confirmed your email address yet. Confirm it there, then try again."
    ]
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_provider_without_an_email_address_is_explained(client, fakes):
    params = begin(client, "github")
    fakes["github"].token(params)
    fakes["github"].profile(uid="1", email="", emails=[])

    response = complete(client, "github", params)

    assert response["Location"] == reverse("account_login")
    assert "GitHub did not share an email address" in messages_of(response)[0]
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize("provider", VERIFYING)
def test_existing_account_is_matched_by_verified_email(client, fakes, user, provider):
    params = begin(client, provider)
    fakes[provider].person(params, email="ADA@example.com")

    response = complete(client, provider, params)

    assert response["Location"] == reverse("core:dashboard")
    assert signed_in_user_id(client) == str(user.pk)
    assert UserSocialAuth.objects.get(provider=provider).user == user
    assert User.objects.count() == 1
    assert Kind.IDENTITY_LINKED in kinds(user)


@pytest.mark.parametrize("provider", ["github", "facebook", "oidc"])
def test_existing_account_is_not_linked_on_an_unverified_email(client, fakes, user, provider):
    params = begin(client, provider)
    fakes[provider].person(params, email="ada@example.com", verified=False)

    response = complete(client, provider, params)

    assert response["Location"] == reverse("account_login")
    assert messages_of(response)[0].startswith(
        "An account with this email address already exists. Sign in to it"
    )
    assert signed_in_user_id(client) is None
    assert not UserSocialAuth.objects.exists()
    assert User.objects.count() == 1


def test_unconfirmed_local_address_is_not_linked_even_when_the_provider_verified_it(client, fakes):
    squatter = make_user("ada@example.com", verified=False)
    params = begin(client, "google-oauth2")
    fakes["google-oauth2"].person(params, email="ada@example.com")

    response = complete(client, "google-oauth2", params)

    assert response["Location"] == reverse("account_login")
    assert signed_in_user_id(client) is None
    assert not UserSocialAuth.objects.filter(user=squatter).exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_linked_account_signs_in_again(client, fakes, user, provider):
    link(user, provider, uid="uid-1")
    params = begin(client, provider)
    fakes[provider].person(params, uid="uid-1", email="changed@example.com")

    response = complete(client, provider, params)

    assert response["Location"] == reverse("core:dashboard")
    assert signed_in_user_id(client) == str(user.pk)
    assert UserSocialAuth.objects.count() == 1
    user.refresh_from_db()
    assert user.email == "ada@example.com"  # the provider never overwrites the account


def test_sign_in_returns_to_the_page_that_asked_for_it(client, fakes, user):
    link(user, "github")
    params = begin(client, "github", next="/settings/sign-in-methods/")
    fakes["github"].person(params)

    response = complete(client, "github", params)

    assert response["Location"] == "/settings/sign-in-methods/"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_account_with_mfa_is_asked_for_the_code_after_a_social_sign_in(
    client, fakes, user, provider, time_machine
):
    freeze_in_a_totp_period(time_machine)  # the code below is still current when it is checked
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    link(user, provider)
    params = begin(client, provider)
    fakes[provider].person(params)

    response = complete(client, provider, params)

    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("core:dashboard"))["Location"].startswith(reverse("account_login"))

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response["Location"] == reverse("mfa_trust")  # MFA_TRUST_ENABLED: "trust this browser?"
    assert signed_in_user_id(client) is None
    response = client.post(reverse("mfa_trust"), {"action": "no"})

    assert response["Location"] == reverse("core:dashboard")
    assert signed_in_user_id(client) == str(user.pk)
    assert kinds(user).count(Kind.SIGNED_IN) == 1
    event = AuditEvent.objects.get(user=user, kind=Kind.SIGNED_IN)
    assert event.data == {
        "method": "provider",
        "provider": provider,
        "provider_name": TITLES[provider],
        "factor": "totp",
    }


def test_wrong_mfa_code_keeps_the_session_signed_out(client, fakes, user):
    TOTP.activate(user, generate_totp_secret())
    link(user, "github")
    params = begin(client, "github")
    fakes["github"].person(params)
    complete(client, "github", params)

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert Kind.SIGNED_IN not in kinds(user)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancelled_sign_in_says_so_and_changes_nothing(client, fakes, provider):
    params = begin(client, provider)

    response = complete(client, provider, params, code="", error="access_denied")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert messages_of(response) == [
        f"Signing in with {TITLES[provider]} was cancelled. Nothing was changed."
    ]
    assert not User.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_state_mismatch_is_a_friendly_error(client, fakes, provider):
    params = begin(client, provider)
    fakes[provider].person(params)

    response = complete(client, provider, params, state="forged-state")

    assert response["Location"] == reverse("account_login")
    assert messages_of(response) == [
        "That sign-in attempt has expired or was started in another window. Please try again."
    ]
    assert signed_in_user_id(client) is None
    assert not User.objects.exists()


def test_missing_state_is_a_friendly_error(client, fakes):
    begin(client, "github")

    response = client.get(reverse("social:complete", args=["github"]), {"code": "x"})

    assert response["Location"] == reverse("account_login")
    assert "Please try again" in messages_of(response)[0]


def test_expired_sign_in_attempt_is_a_friendly_error(client, fakes):
    params = begin(client, "github")
    session = client.session
    key = f"github_oauth2_state_{params['state']}"
    session[key] = {**session[key], "timestamp": int(time.time()) - 7200}
    session.save()
    fakes["github"].person(params)

    response = complete(client, "github", params)

    assert response["Location"] == reverse("account_login")
    assert "expired" in messages_of(response)[0]
    assert not User.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_error_500_is_a_friendly_error(client, fakes, provider):
    params = begin(client, provider)
    fakes[provider].token(params, status=500)

    response = complete(client, provider, params)

    assert response["Location"] == reverse("account_login")
    assert messages_of(response) == [
        f"{TITLES[provider]} is not responding right now. Please try again in a few minutes."
    ]


def test_provider_timeout_is_a_friendly_error(client, fakes, rsps):
    params = begin(client, "google-oauth2")
    rsps.post(fakes["google-oauth2"].token_url, body=requests.exceptions.ReadTimeout())

    response = complete(client, "google-oauth2", params)

    assert messages_of(response) == ["Google is not responding right now. Please try again in a few minutes."]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_account_already_linked_to_another_user_is_refused(client, fakes, user, other_user, provider):
    link(other_user, provider, uid="uid-1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = begin(client, provider)
    fakes[provider].person(params, uid="uid-1")

    response = complete(client, provider, params)

    assert response["Location"] == reverse("identities:sign-in-methods")
    assert messages_of(response) == [
        f"This {TITLES[provider]} account is already connected to another Gatehouse account. "
        "Sign in to that account to use it, or disconnect it there first."
    ]
    assert UserSocialAuth.objects.get(provider=provider).user == other_user
    assert signed_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signed_in_user_connects_a_provider(client, fakes, user, provider):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = begin(client, provider, next=reverse("identities:sign-in-methods"))
    # Connecting needs no verified address (Google refuses unverified ones on its own).
    fakes[provider].person(params, email="ada.personal@example.com", verified=provider == "google-oauth2")

    response = complete(client, provider, params)

    assert response["Location"] == reverse("identities:sign-in-methods")
    identity = UserSocialAuth.objects.get(user=user, provider=provider)
    assert identity.extra_data["account_email"] == "ada.personal@example.com"
    assert "access_token" not in identity.extra_data
    assert kinds(user).count(Kind.IDENTITY_LINKED) == 1
    page = client.get(response["Location"])
    assertContains(page, f"{TITLES[provider]} is connected. You can now sign in with it.")
    assertContains(page, "ada.personal@example.com")


def test_starting_a_sign_in_needs_post(client):
    assert client.get(reverse("social:begin", args=["github"])).status_code == 405


def test_unknown_provider_is_404(client):
    assert client.post(reverse("social:begin", args=["myspace"])).status_code == 404


def test_a_provider_sign_in_is_one_log_row_naming_the_provider(client, fakes, user):
    link(user, "oidc")
    params = begin(client, "oidc")
    fakes["oidc"].person(params)
    complete(client, "oidc", params)

    assert kinds(user) == [Kind.SIGNED_IN]
    response = client.get(reverse("audit:security-log"))
    assertContains(response, "With Acme SSO")
    assert "Oidc" not in response.content.decode()


def connected_mails(mailoutbox):
    return [m for m in mailoutbox if "can now sign in to your account" in m.subject]


def test_connecting_a_provider_by_hand_emails_the_owner(client, fakes, user, mailoutbox):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = begin(client, "github", next=reverse("identities:sign-in-methods"))
    fakes["github"].person(params, email="ada.personal@example.com")
    complete(client, "github", params)

    [message] = connected_mails(mailoutbox)
    assert message.to == ["ada@example.com"]
    assert message.subject == "[Gatehouse] GitHub can now sign in to your account"
    assert "ada.personal@example.com" in message.body
    assert "http://testserver/settings/sign-in-methods/" in message.body


def test_a_provider_matched_on_a_verified_address_emails_the_owner(client, fakes, user, mailoutbox):
    params = begin(client, "oidc")
    fakes["oidc"].person(params, email="ada@example.com")
    complete(client, "oidc", params)
    [message] = connected_mails(mailoutbox)
    assert "Acme SSO" in message.subject


def test_a_new_account_from_a_provider_gets_no_connected_email(client, fakes, mailoutbox):
    params = begin(client, "github")
    fakes["github"].person(params, email="newcomer@example.com")
    complete(client, "github", params)
    assert connected_mails(mailoutbox) == []

"""Two-step verification through allauth.mfa: TOTP enrolment, sign-in with a code or a recovery code."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from apps.audit.models import AuditEvent
from tests.accounts.conftest import reauthenticate, sign_in, totp_now
from tests.conftest import PASSWORD

# Every code is computed and checked on a stopped clock, inside one TOTP period.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("totp_clock")]


def enrol_totp(client) -> str:
    """Turn on the authenticator app as a person would; return its secret."""
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = re.search(r'id="authenticator_secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302, response.content[:500]
    return secret


@pytest.fixture
def totp_user(auth_client, user):
    """`user` with an authenticator app and recovery codes; returns (secret, recovery codes)."""
    secret = enrol_totp(auth_client)
    codes = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    auth_client.logout()
    return secret, codes


def test_activation_page_shows_a_qr_code_and_the_setup_key(auth_client):
    reauthenticate(auth_client)
    response = auth_client.get(reverse("mfa_activate_totp"))
    assertContains(response, 'src="data:image/svg+xml;base64,')
    assertContains(response, 'alt="QR code that adds Gatehouse to your authenticator app"')
    assertContains(response, 'autocomplete="one-time-code"')


def test_activation_asks_to_confirm_it_is_you_first(auth_client):
    response = auth_client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]


@pytest.mark.django_db(transaction=True)  # allauth sends its signals and emails on commit
def test_enrolling_totp_creates_recovery_codes_and_is_logged(auth_client, user, mailoutbox):
    enrol_totp(auth_client)
    assert any("Authenticator app activated" in m.subject for m in mailoutbox)
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.MFA_ENABLED).exists()
    page = auth_client.get(reverse("accounts:security"))
    assertContains(page, "Turn off")
    assertContains(page, "10 of 10 unused")


def test_a_wrong_code_does_not_turn_it_on(auth_client, user):
    reauthenticate(auth_client)
    auth_client.get(reverse("mfa_activate_totp"))
    response = auth_client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assertContains(response, "Incorrect code.")
    assert not Authenticator.objects.filter(user=user).exists()


def test_recovery_codes_page_lists_the_codes(auth_client, user):
    enrol_totp(auth_client)
    response = auth_client.get(reverse("mfa_view_recovery_codes"))
    codes = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    for code in codes:
        assertContains(response, f"<li>{code}</li>", html=True)


def test_sign_in_asks_for_the_code_after_the_password(client, totp_user):
    response = sign_in(client)
    assertRedirects(response, reverse("mfa_authenticate"), fetch_redirect_response=False)
    assert client.get(reverse("accounts:security")).status_code == 302  # not signed in yet


def test_sign_in_with_an_authenticator_code(client, user, totp_user):
    secret, _ = totp_user
    sign_in(client)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assertRedirects(response, reverse("mfa_trust"), fetch_redirect_response=False)
    client.post(reverse("mfa_trust"), {"action": "skip"})
    assert "mfa_trusted" not in client.cookies
    assert client.get(reverse("accounts:security")).status_code == 200
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGNED_IN).exists()


def test_sign_in_with_a_wrong_code_fails(client, totp_user):
    sign_in(client)
    response = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assertContains(response, "Incorrect code.")
    assert client.get(reverse("accounts:security")).status_code == 302


@pytest.mark.parametrize("code", ["123456", "not-a-recovery-code"])
def test_a_wrong_second_factor_after_the_right_password_is_logged(client, user, totp_user, code):
    sign_in(client)
    client.post(reverse("mfa_authenticate"), {"code": code})
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert event.data == {"step": "second_factor", "factor": Authenticator.Type.TOTP}
    assert event.ip_address == "127.0.0.1"


def test_a_used_recovery_code_is_logged_as_a_failed_sign_in(client, user, totp_user):
    _, codes = totp_user
    sign_in(client)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    client.post(reverse("mfa_trust"), {"action": "skip"})
    again = Client()
    sign_in(again)
    again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGN_IN_FAILED).count() == 1


def test_sign_in_with_a_recovery_code_works_once(client, user, totp_user):
    _, codes = totp_user
    sign_in(client)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    client.post(reverse("mfa_trust"), {"action": "skip"})
    assert client.get(reverse("accounts:security")).status_code == 200
    left = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    assert codes[0] not in left and len(left) == len(codes) - 1

    again = Client()
    sign_in(again)
    response = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assertContains(response, "Incorrect code.")


def test_trusting_a_browser_skips_the_code_next_time(client, totp_user):
    secret, _ = totp_user
    sign_in(client)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assertRedirects(response, reverse("mfa_trust"), fetch_redirect_response=False)
    assertContains(client.get(reverse("mfa_trust")), "Trust this browser?")
    client.post(reverse("mfa_trust"), {"action": "trust"})
    assert client.cookies["mfa_trusted"].value
    client.post(reverse("account_logout"))
    response = sign_in(client)
    assert response.status_code == 302 and reverse("mfa_authenticate") not in response["Location"]
    assert client.get(reverse("accounts:security")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_turning_totp_off_is_logged(auth_client, user):
    enrol_totp(auth_client)
    response = auth_client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.MFA_DISABLED).exists()


def test_reauthentication_with_a_wrong_password_is_refused(auth_client):
    response = auth_client.post(reverse("account_reauthenticate"), {"password": "not-" + PASSWORD})
    assertContains(response, "Incorrect password")


def test_regenerating_with_one_code_left_speaks_in_the_singular(auth_client, user):
    enrol_totp(auth_client)
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    for code in codes.wrap().get_unused_codes()[1:]:
        codes.refresh_from_db()
        assert codes.wrap().validate_code(code)
    response = auth_client.get(reverse("mfa_generate_recovery_codes"))
    assertContains(response, "Your 1 unused code stops working.")


def test_a_refused_passkey_is_not_called_an_incorrect_code(client, user):
    import json

    from allauth.account.utils import user_pk_to_url_str
    from fido2.utils import websafe_encode

    # A passkey this server does not know (say, removed from the account) signing in for `user`.
    credential = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(b"{}"),
            "authenticatorData": websafe_encode(b"\0" * 37),
            "signature": "AAAA",
            "userHandle": websafe_encode(user_pk_to_url_str(user).encode()),
        },
    }
    client.get(reverse("mfa_login_webauthn"), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    response = client.post(reverse("mfa_login_webauthn"), {"credential": json.dumps(credential)}, follow=True)
    assertContains(response, "That passkey was not accepted.")
    assert "Incorrect code." not in response.content.decode()


def add_passkey(user, name="Work laptop", passwordless=True) -> Authenticator:
    credential = {"clientExtensionResults": {"credProps": {"rk": passwordless}}}
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": name, "credential": credential}
    )


def test_remove_page_names_the_passkey_and_has_a_way_back(auth_client, user):
    passkey = add_passkey(user)
    reauthenticate(auth_client)
    response = auth_client.get(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assertContains(response, "Remove passkey</h1>")
    assertContains(response, "<strong>Work laptop</strong>", html=True)
    assertContains(response, f'href="{reverse("mfa_list_webauthn")}"')
    assert "security key" not in response.content.decode().split("<main", 1)[1].lower().replace(
        "passkeys and security keys", ""
    )


def test_removing_a_passkey_says_passkey_in_the_message_and_the_email(auth_client, user, mailoutbox):
    passkey = add_passkey(user)
    reauthenticate(auth_client)
    response = auth_client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}), follow=True)
    assertContains(response, "Passkey “Work laptop” removed.")
    [message] = [m for m in mailoutbox if "removed" in m.subject.lower()]
    assert message.subject == "[Gatehouse] Passkey removed"
    assert "A passkey, “Work laptop”, was removed." in message.body


def test_removing_a_security_key_calls_it_one(auth_client, user, mailoutbox):
    key = add_passkey(user, name="YubiKey", passwordless=False)
    reauthenticate(auth_client)
    response = auth_client.post(reverse("mfa_remove_webauthn", kwargs={"pk": key.pk}), follow=True)
    assertContains(response, "Security key “YubiKey” removed.")

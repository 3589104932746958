"""Two-step verification in a real browser: an authenticator app, recovery codes, and a passkey."""

import re

import pytest
from allauth.mfa.models import Authenticator

from apps.audit.models import AuditEvent
from tests.accounts.conftest import freeze_in_a_totp_period, totp_now
from tests.conftest import PASSWORD


def sign_in_with_password(page, email="ada@example.com") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def confirm_its_me(page) -> None:
    page.get_by_role("heading", name="Confirm it's you").wait_for()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    if page.get_by_role("heading", name="Sign out").count():  # allauth's confirmation page
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def test_totp_enrolment_then_sign_in_with_a_code_and_a_recovery_code(page, shot, user, time_machine):
    freeze_in_a_totp_period(time_machine)  # the server's clock: each code stays current
    sign_in_with_password(page)
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    page.goto("/settings/security/")
    page.get_by_role("link", name="Set up").click()
    confirm_its_me(page)
    page.get_by_role("heading", name="Set up an authenticator app").wait_for()
    page.get_by_role("img", name=re.compile("QR code")).wait_for()
    shot("totp-setup")
    secret = page.locator("#authenticator_secret").inner_text().strip()
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    page.get_by_text("Incorrect code.").wait_for()
    page.get_by_label("Code from the app").fill(totp_now(secret))
    page.get_by_role("button", name="Turn on").click()

    page.get_by_role("heading", name="Recovery codes").wait_for()
    codes = page.locator("#recovery-code-list li").all_inner_texts()
    assert len(codes) == 10
    shot("recovery-codes")
    page.get_by_role("link", name="Done").click()
    page.get_by_text("On since").wait_for()
    shot("security-two-step-on")

    sign_out(page)
    sign_in_with_password(page)
    page.get_by_role("heading", name="Two-step verification").wait_for()
    shot("sign-in-second-step")
    page.get_by_label("Code").fill(totp_now(secret))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="Trust this browser?").wait_for()
    shot("trust-this-browser")
    page.get_by_role("button", name="Don't trust").click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()

    sign_out(page)
    sign_in_with_password(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Don't trust").click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    left = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    assert codes[0] not in left


@pytest.fixture
def authenticator(page, settings):
    """A platform authenticator with a fingerprint reader, through Chromium's DevTools protocol."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the live server is http://localhost
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    yield lambda: cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    cdp.send("WebAuthn.disable")


def test_passkey_is_registered_and_then_signs_in_without_a_password(page, shot, user, authenticator):
    sign_in_with_password(page)
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    page.goto("/settings/security/")
    page.get_by_role("link", name="Add a passkey").click()
    confirm_its_me(page)
    page.get_by_role("heading", name="Add a passkey or security key").wait_for()
    page.get_by_label("Name").fill("Test laptop")
    shot("passkey-add")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Recovery codes").wait_for()
    page.get_by_text("Passkey “Test laptop” added.").wait_for()
    [credential] = authenticator()
    assert credential["isResidentCredential"]
    passkey = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().name == "Test laptop" and passkey.wrap().is_passwordless

    page.goto("/accounts/2fa/webauthn/")
    page.get_by_role("heading", name=re.compile("Test laptop")).wait_for()
    shot("passkey-list")

    sign_out(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name=re.compile("Sign in with a passkey", re.I)).click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGNED_IN).count() == 2
    latest = AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGNED_IN).first()
    assert latest.data == {"method": "passkey", "passkey": "Test laptop"}
    shot("signed-in-with-passkey")

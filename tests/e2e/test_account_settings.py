"""A person edits their profile, reviews their security settings and log, and finally leaves."""

import io
import re

from django.test import Client
from PIL import Image

from apps.accounts.models import Profile, User
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.oauth.models import Application
from tests.accounts.conftest import make_session
from tests.conftest import PASSWORD
from tests.oauth_flow import make_client, obtain_tokens


def sign_in(page, email="ada@example.com", password=PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()


def portrait(tmp_path) -> str:
    path = tmp_path / "portrait.jpg"
    image = Image.new("RGB", (900, 700), (31, 79, 209))
    for x in range(250, 650):  # a light disc, so the crop is visible in the screenshot
        for y in range(150, 550):
            if (x - 450) ** 2 + (y - 350) ** 2 < 200**2:
                image.putpixel((x, y), (245, 197, 66))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_profile_validates_as_you_type_and_saves_without_reload(page, shot, user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    sign_in(page)
    page.get_by_role("link", name="Profile").first.click()
    page.get_by_role("heading", name="Profile", exact=True).wait_for()
    shot("profile-empty")

    page.get_by_label("Website").fill("not a web address")
    error = page.locator("#id_website_errors")
    error.get_by_text("Enter a web address like https://example.com.").wait_for()
    assert page.get_by_label("Website").get_attribute("aria-invalid") == "true"
    shot("profile-live-error")

    page.get_by_label("Website").fill("https://ada.example.org")
    page.locator("#id_website_errors:empty").wait_for(state="attached")
    assert page.get_by_label("Website").get_attribute("aria-invalid") == "false"
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Bio").fill("Wrote the first program, for an engine that did not exist yet.")
    page.locator("#id_avatar").set_input_files(portrait(tmp_path))
    page.locator("img#avatar-preview").wait_for()
    page.wait_for_load_state("networkidle")  # let the field checks finish before saving
    marker = page.evaluate("() => { window.__notReloaded = true; return true }")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    assert marker and page.evaluate("() => window.__notReloaded === true")
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "Ada Lovelace" and profile.avatar.name.endswith(".jpg")
    page.locator(f'img[src="{profile.avatar.url}"]').first.wait_for()
    shot("profile-saved")


def test_non_image_avatar_is_refused_in_the_browser(page, shot, user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    fake = tmp_path / "holiday.png"
    fake.write_bytes(b"this is a text file pretending to be a picture")
    sign_in(page)
    page.goto("/settings/profile/")
    page.locator("#id_avatar").set_input_files(str(fake))
    page.locator("#id_avatar_errors").get_by_text("Upload a PNG, JPEG or WebP picture.").wait_for()
    shot("profile-bad-picture")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Some details need another look").wait_for()
    assert not Profile.objects.get(user=user).avatar


def test_security_page_log_and_signing_out_another_session(page, shot, user, other_user):
    Profile.objects.filter(user=user).update(display_name="Ada Lovelace")
    phone = make_session(
        user,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1",
        ip="198.51.100.23",
    )
    make_session(
        user,
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36 Edg/131.0",
        ip="10.4.0.12",
    )
    record(AuditEvent.Kind.SIGN_IN_FAILED, user=user)
    record(AuditEvent.Kind.KEY_CREATED, user=user, name="Nightly backup")
    record(AuditEvent.Kind.CONSENT_GRANTED, user=user, application="Photo Printer")
    record(AuditEvent.Kind.PASSWORD_CHANGED, user=other_user)
    sign_in(page)
    page.goto("/settings/security/")
    page.get_by_role("heading", name="Security", exact=True).wait_for()
    shot("security")

    page.get_by_role("button", name=re.compile("Sign out of Safari on iPhone")).click()
    page.get_by_text("That session is signed out.").wait_for()
    assert not phone._session_store().exists(phone.session_key)
    assert page.get_by_text("Safari on iPhone").count() == 0
    shot("security-session-signed-out")

    page.get_by_role("link", name="See all activity").click()
    page.get_by_role("heading", name="Security log").wait_for()
    assert page.get_by_text("Nightly backup").count() == 1
    assert page.get_by_text("Password changed").count() == 0  # another person's event
    shot("security-log")
    page.get_by_label("Show").select_option("apps")
    page.wait_for_url(re.compile(r"show=apps"))
    page.get_by_text("App granted access").wait_for()
    assert page.get_by_text("Failed sign-in").count() == 0
    shot("security-log-filtered")

    page.goto("/accounts/email/")
    page.get_by_role("heading", name="Email addresses").wait_for()
    shot("email-addresses")
    page.goto("/accounts/password/change/")
    page.get_by_role("heading", name="Change password").wait_for()
    shot("password-change")


def test_user_deletes_their_account(page, shot, user, other_user):
    notebook = make_client(
        user, name="Ada's Notebook", grant_types=["authorization-code"], allowed_scopes=["openid"]
    )
    obtain_tokens(Client(), user=other_user, application=notebook, scope="openid")
    sign_in(page)
    page.goto("/settings/security/")
    page.get_by_role("link", name="Delete account…").click()
    page.get_by_role("heading", name="Confirm it's you").wait_for()
    shot("delete-confirm-identity")
    page.get_by_label("Your password").fill("not-the-password")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Incorrect password").wait_for()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Delete your account").wait_for()
    page.get_by_text("1 other person").wait_for()
    shot("delete-account")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("heading", name="Delete your account").wait_for()  # the box was not ticked
    assert User.objects.filter(pk=user.pk).exists()
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_text("Your account is deleted.").wait_for()
    shot("account-deleted")
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Application.objects.filter(pk=notebook.pk).exists()

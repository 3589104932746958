"""A person creates a personal API key, sees it once, uses it, and revokes it."""

import re

from apps.apikeys.models import APIKey
from tests.conftest import PASSWORD

KEY_FORMAT = re.compile(r"gatehouse_[A-Za-z0-9]{12}_[A-Za-z0-9]{49}")


def sign_in(page, email: str = "ada@example.com") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()


def drop_audit_leftovers(page) -> None:
    """axe restores the styles it probes as empty `style=""` attributes; htmx's settle step would
    copy those onto the swapped-in elements, which the CSP (rightly) reports. Not our markup."""
    page.evaluate("document.querySelectorAll('[style=\"\"]').forEach((e) => e.removeAttribute('style'))")


def test_api_key_is_shown_once_works_and_is_revoked(page, shot, user):
    sign_in(page)
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_role("heading", name="API keys", exact=True).wait_for()
    page.get_by_text("You have no API keys yet.").wait_for()
    shot("empty")

    page.get_by_label("Name").fill("Nightly backup")
    page.get_by_label("Read your account (read)").check()
    page.get_by_label("Read your profile (read_profile)").check()
    page.get_by_label("Expires").select_option("30")
    drop_audit_leftovers(page)
    page.get_by_role("button", name="Create key").click()
    key_field = page.get_by_label("API key")
    key_field.wait_for()
    raw = key_field.input_value()
    assert KEY_FORMAT.fullmatch(raw)
    assert page.url.endswith("/settings/api-keys/")  # HTMX swapped the section in place
    shot("key-created")

    me = page.request.get("/api/me/", headers={"Authorization": f"Bearer {raw}"})
    assert me.status == 200
    assert me.json()["username"] == "ada"

    page.reload()
    page.get_by_role("cell", name=re.compile("^Nightly backup gatehouse_")).wait_for()
    assert page.get_by_label("API key").count() == 0  # shown once, never again
    assert raw not in page.content()
    api_key = APIKey.objects.get(user=user)
    assert page.get_by_text(api_key.masked).is_visible()
    assert api_key.last_used is not None
    shot("key-listed")

    drop_audit_leftovers(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Nightly backup").click()
    page.get_by_role("status").get_by_text("The key “Nightly backup” is revoked").wait_for()
    assert page.get_by_text("You have no API keys yet.").is_visible()
    shot("key-revoked")
    assert page.request.get("/api/me/", headers={"Authorization": f"Bearer {raw}"}).status == 401

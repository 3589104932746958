"""App verification (loopback domain proof, staff review, the badge and its loss) and the staff console."""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.oauth.models import Application
from tests.oauth_flow import pkce_pair
from tests.proof_server import proof_server, serving_token
from tests.staff.test_staff import fresh_login


def use_session(page, client: Client, base_url: str) -> None:
    """Browse as whoever `client` signed in (sign-in itself is tested elsewhere)."""
    host = re.sub(r"^https?://|:\d+$", "", base_url)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )


def as_user(page, user, base_url: str) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    use_session(page, client, base_url)


def consent_url(app: Application) -> str:
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris.split()[0],
        "scope": "openid profile",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/o/authorize/?" + urlencode(params)


@pytest.fixture
def staff_member(db):
    from tests.conftest import make_user

    return make_user("sam@example.com", first_name="Sam", last_name="Staff", is_staff=True)


def test_a_developer_gets_verified_and_loses_the_badge_on_rename(
    page, shot, live_server, settings, developer, user, staff_member, application
):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True
    with proof_server(serving_token(application.verification_token)) as port:
        origin = f"https://127.0.0.1:{port}"
        application.homepage_url, application.privacy_policy_url = f"{origin}/", f"{origin}/privacy"
        application.redirect_uris = f"{origin}/callback"
        application.save()

        as_user(page, developer, live_server.url)
        page.goto(f"/developer/apps/{application.pk}/")
        panel = page.locator(".dev-verification")
        panel.get_by_text("Publish this").wait_for()
        shot("verification-panel")
        panel.get_by_role("button", name="Request verification").click()
        page.locator(".dev-verification").get_by_text("is proven").wait_for()
        shot("verification-in-review")

    use_session(page, fresh_login(Client(), staff_member), live_server.url)
    page.goto("/staff/verification/")
    page.get_by_role("heading", name="Photo Printer").wait_for()
    shot("staff-queue")
    page.get_by_role("button", name="Approve Photo Printer").click()
    page.get_by_text("Photo Printer is verified").wait_for()
    shot("staff-queue-empty")

    as_user(page, user, live_server.url)
    page.goto(consent_url(application))
    page.get_by_text("Verified app").wait_for()
    shot("consent-verified")

    as_user(page, developer, live_server.url)
    page.goto(f"/developer/apps/{application.pk}/settings/")
    page.get_by_label("Name", exact=True).fill("Photo Printer Pro")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.get_by_text("is unverified again").wait_for()
    shot("developer-lost-badge")

    as_user(page, user, live_server.url)
    page.goto(consent_url(application))
    page.get_by_text("Unverified app.").wait_for()
    assert page.locator(".consent-verified").count() == 0
    shot("consent-unverified-after-rename")


def test_staff_suspend_an_app_and_lock_an_account(page, shot, live_server, user, staff_member, application):
    use_session(page, fresh_login(Client(), staff_member), live_server.url)
    page.goto("/staff/")
    page.get_by_role("heading", name="Staff overview").wait_for()
    shot("staff-overview")

    page.get_by_role("link", name="Apps", exact=True).click()
    page.get_by_label("Name, client ID or owner's email").fill("printer")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Photo Printer").click()
    page.get_by_label("Reason").fill("Sends phishing emails.")
    page.get_by_role("button", name="Suspend Photo Printer").click()
    page.get_by_text("Photo Printer is suspended: its tokens stopped working.").wait_for()
    shot("staff-app-suspended")

    page.get_by_role("link", name="People").click()
    page.get_by_label("Email address").fill("ada@")
    page.get_by_role("button", name="Search").click()
    shot("staff-people-search")
    page.get_by_role("link", name="ada@example.com").click()
    page.get_by_label("Reason").fill("Reported as compromised.")
    page.get_by_role("button", name="Lock account").click()
    page.get_by_text("ada@example.com is locked and signed out everywhere.").wait_for()
    shot("staff-person-locked")
    page.get_by_role("button", name="Unlock account").click()
    page.get_by_text("ada@example.com can sign in again.").wait_for()
    user.refresh_from_db()
    assert user.is_active

    as_user(page, user, live_server.url)
    page.goto(consent_url(application))
    page.get_by_role("heading", name="Photo Printer is suspended").wait_for()
    assert page.get_by_role("button", name="Allow").count() == 0
    shot("consent-suspended")

"""A person lets an app in, keeps one thing back, and later takes the app's access away."""

import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect

from apps.oauth.models import Consent
from tests.conftest import PASSWORD
from tests.oauth_flow import CLIENT_SECRET, REDIRECT_URI, authorize_params, pkce_pair

CALLBACK_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Photo Printer</title></head>'
    "<body><main><h1>Photo Printer is signing you in…</h1></main></body></html>"
)


@pytest.fixture
def printer(application):
    application.scope_justifications = {"email": "We email you when your prints ship."}
    application.privacy_policy_url = "https://printer.example.com/privacy"
    application.terms_url = "https://printer.example.com/terms"
    application.save()
    return application


def catch_callback(page) -> list[str]:
    """The app's site is not on this machine: answer its callback and note where we landed."""
    landed: list[str] = []

    def fulfil(route):
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=CALLBACK_PAGE)

    page.route(re.compile(r"^https://printer\.example\.com/.*"), fulfil)
    return landed


def start(page, application, scope: str) -> str:
    verifier, challenge = pkce_pair()
    page.goto("/o/authorize/?" + urlencode(authorize_params(application, scope=scope, challenge=challenge)))
    return verifier


def sign_in(page) -> None:
    page.get_by_text("Sign in to continue to Photo Printer.").wait_for()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)


def test_user_allows_an_app_without_one_scope_then_revokes_it(page, shot, user, printer):
    landed = catch_callback(page)
    verifier = start(page, printer, "openid profile email read")
    sign_in(page)
    shot("sign-in-to-continue")
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("heading", name="Photo Printer wants to access your Gatehouse account").wait_for()
    assert page.get_by_label("Sign you in").is_disabled()
    email = page.get_by_label("Your email address")
    assert email.is_checked()
    shot("consent-screen")
    email.uncheck()
    shot("consent-email-unticked")
    page.get_by_role("button", name="Allow").click()

    page.get_by_role("heading", name="Photo Printer is signing you in…").wait_for()
    query = {k: v[0] for k, v in parse_qs(urlparse(landed[-1]).query).items()}
    assert landed[-1].startswith(REDIRECT_URI) and query["state"] == "state-123"
    exchanged = page.request.post(
        "/o/token/",
        form={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": printer.client_id,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )
    assert exchanged.ok, exchanged.text()
    access_token = exchanged.json()["access_token"]
    assert set(exchanged.json()["scope"].split()) == {"openid", "profile", "read"}

    page.goto("/connected-apps/")
    card = page.get_by_role("article", name="Photo Printer")
    card.get_by_text("Your public profile").wait_for()
    assert card.get_by_text("Your email address").count() == 0
    shot("connected-apps")

    card.get_by_role("link", name="Revoke access of Photo Printer").click()
    dialog = page.get_by_role("dialog", name="Revoke Photo Printer's access?")
    dialog.wait_for()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot("revoke-dialog")
    dialog.get_by_role("button", name="Revoke access").click()

    page.get_by_text("Photo Printer can no longer access your account.").wait_for()
    page.get_by_text("No apps can use your account.").wait_for()
    assert page.get_by_role("dialog").count() == 0
    # Focus moves once HTMX settles, a moment after the new list is in place: let expect retry.
    expect(page.locator("#connected-apps-status")).to_be_focused()
    shot("revoked")
    assert not Consent.objects.exists()
    userinfo = page.request.get("/o/userinfo/", headers={"Authorization": f"Bearer {access_token}"})
    assert userinfo.status == 401


def test_consent_and_connected_apps_fit_a_phone(page, shot, user, printer, settings):
    page.set_viewport_size({"width": 375, "height": 812})
    catch_callback(page)
    start(page, printer, "openid profile email read write")
    sign_in(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Photo Printer wants to access your Gatehouse account").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot("phone-consent")
    page.get_by_label("For 30 days").check()
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Photo Printer is signing you in…").wait_for()

    page.goto("/connected-apps/")
    page.get_by_role("article", name="Photo Printer").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot("phone-connected-apps")
    page.get_by_role("link", name="Manage Photo Printer").click()
    page.get_by_role("heading", name="Photo Printer", level=1).wait_for()
    page.get_by_role("button", name="Remove Change your account").click()
    page.get_by_text("Photo Printer no longer has access to: Change your account.").wait_for()
    assert Consent.objects.get().scopes == ["openid", "profile", "email", "read"]
    shot("phone-scope-removed")


def test_user_denies_an_app(page, shot, user, printer):
    landed = catch_callback(page)
    start(page, printer, "openid profile")
    sign_in(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Deny").click()
    page.get_by_role("heading", name="Photo Printer is signing you in…").wait_for()
    assert parse_qs(urlparse(landed[-1]).query)["error"] == ["access_denied"]
    assert not Consent.objects.exists()


def test_unknown_app_gets_a_friendly_error_page(page, shot, user, printer):
    _, challenge = pkce_pair()
    params = authorize_params(
        printer, scope="openid", challenge=challenge, redirect_uri="https://evil.example.com/cb"
    )
    page.goto("/o/authorize/?" + urlencode(params))
    page.get_by_role("heading", name="This app asked to send you somewhere unexpected").wait_for()
    shot("bad-redirect-uri")

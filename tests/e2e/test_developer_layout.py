"""The developer console and the settings pages fit a 375px phone screen: no sideways scrolling."""

import re

from apps.oauth.secrets import create_client_secret
from tests.developer.conftest import make_app
from tests.e2e.test_developer_console import sign_in

PHONE = {"width": 375, "height": 800}
FITS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def assert_fits(page, what: str) -> None:
    scroll_width, inner_width = page.evaluate(FITS)
    assert scroll_width <= inner_width, f"{what}: {scroll_width}px wide in a {inner_width}px window"


def test_console_settings_and_playground_fit_a_phone(page, shot, live_server, developer, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    base = live_server.url.replace("localhost", "127.0.0.1")
    app = make_app(
        developer,
        name="Photo Frame with a rather long name for a phone",
        description="Shows your photos on a frame in your kitchen.",
        redirect_uris="https://frame-with-a-long-host-name.example.com/oauth2/callback/photo-frame-kitchen "
        "http://127.0.0.1:8400/callback",
        allowed_scopes=["openid", "profile", "email", "read", "write"],
        required_scopes=["email"],
        scope_justifications={"profile": "To greet you by name on the frame in your kitchen."},
    )
    create_client_secret(application=app)
    sign_in(page, developer, base)
    page.set_viewport_size(PHONE)

    page.goto(f"{base}/developer/apps/")
    page.get_by_role("heading", name="OAuth apps", level=1).wait_for()
    shot("app-list-375")
    assert_fits(page, "the app list")

    page.goto(f"{base}/developer/apps/{app.pk}/")
    page.get_by_role("heading", name="Danger zone").wait_for()
    shot("app-detail-375")
    assert_fits(page, "the app page")

    page.goto(f"{base}/developer/apps/{app.pk}/settings/")
    page.locator("#consent-preview").get_by_text("To greet you by name").wait_for()
    shot("app-settings-375")
    assert_fits(page, "the app settings")

    page.goto(f"{base}/developer/playground/?app={app.pk}")
    page.get_by_role("button", name=re.compile("Add the callback")).click()
    page.get_by_role("button", name="Start a run").click()
    page.get_by_role("heading", name=re.compile("Authorization request")).wait_for()
    shot("playground-run-375")
    assert_fits(page, "the playground")


def test_the_active_settings_tab_is_in_view_on_a_phone(page, shot, live_server, user):
    sign_in(page, user, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto("/connected-apps/")
    active = page.locator(".settings-nav [aria-current=page]")
    active.wait_for()
    shot("connected-apps-375")
    assert_fits(page, "the connected-apps page")
    box = active.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

import re

from django.test import Client
from playwright.sync_api import expect

from apps.oauth.models import Application


def sign_in(page, user, base_url: str) -> None:
    """Reuse a server-side session in the browser (sign-in itself is tested elsewhere)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    host = re.sub(r"^https?://|:\d+$", "", base_url)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )


def test_developer_registers_an_app_and_sees_its_secret_once(page, shot, live_server, developer):
    sign_in(page, developer, live_server.url)
    page.goto("/developer/apps/")
    page.get_by_role("heading", name="No apps yet").wait_for()
    shot("empty-list")

    page.get_by_role("link", name="Register your first app").click()
    page.get_by_role("heading", name="What are you building?").wait_for()
    shot("choose-kind")
    page.get_by_role("link", name=re.compile("Web server app")).click()

    page.get_by_label("Name", exact=True).fill("Photo Frame")
    page.get_by_label("Description", exact=True).fill("Shows your photos on a frame in your kitchen.")
    page.get_by_label("Homepage", exact=True).fill("https://frame.example.com/")
    page.get_by_label("Privacy policy", exact=True).fill("https://frame.example.com/privacy")
    # The HTMX list editor replaced the textarea: one row per URI.
    page.get_by_label("Redirect URI 1", exact=True).fill("http://frame.example.com/callback")
    page.get_by_role("button", name="+ Add redirect URI").click()
    page.get_by_label("Redirect URI 2", exact=True).fill("http://127.0.0.1:8400/callback")
    page.get_by_label("Why your app needs profile").fill("To greet you by name on the frame.")
    page.get_by_label("Edit your profile").check()
    preview = page.locator("#consent-preview")
    preview.get_by_text("To greet you by name on the frame.").wait_for()
    preview.get_by_text("Edit your profile").wait_for()
    assert "Photo Frame" in preview.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    shot("form-with-preview")

    page.get_by_role("button", name="Register app").click()
    summary = page.get_by_role("alert")
    summary.get_by_text("Redirect URI 1 (http://frame.example.com/callback): Use https.").wait_for()
    expect(summary).to_be_focused()
    assert page.get_by_label("Redirect URI 1", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Redirect URI 2", exact=True).get_attribute("aria-invalid") is None
    assert page.get_by_label("Name", exact=True).input_value() == "Photo Frame"
    assert page.get_by_label("Redirect URI 2", exact=True).input_value() == "http://127.0.0.1:8400/callback"
    shot("form-error-kept-input")

    page.get_by_label("Redirect URI 1", exact=True).fill("https://frame.example.com/callback")
    page.get_by_role("button", name="Register app").click()
    page.get_by_role("heading", name="Photo Frame", level=1).wait_for()
    app = Application.objects.get(name="Photo Frame")
    assert app.redirect_uris == "https://frame.example.com/callback http://127.0.0.1:8400/callback"
    assert app.scope_justifications == {"profile": "To greet you by name on the frame."}
    # A confidential app gets its first secret at registration, shown once, at the app's own address.
    page.get_by_text("you will not see it again").wait_for()
    first = page.get_by_label("New client secret").input_value()
    assert page.url.endswith(f"/developer/apps/{app.pk}/")
    assert page.locator("#getting-started .dev-done", has_text="Generate a client secret").count() == 1
    # No shot() between the two: Playwright's screenshot leaves style="" on inputs, which
    # htmx's settle step would copy onto the swapped-in secret field (a CSP report).
    page.get_by_role("button", name="Generate a new secret").click()
    page.get_by_text("Your older secrets keep working").wait_for()
    secret = page.get_by_label("New client secret").input_value()
    assert len(secret) >= 40 and secret != first
    assert first not in page.content()
    assert page.locator(".dev-secret").count() == 2
    shot("second-secret-shown-once")
    page.reload()
    assert Application.objects.filter(name="Photo Frame").count() == 1  # reloading posted nothing
    assert secret not in page.content() and first not in page.content()
    assert page.get_by_text(f"••••••••{secret[-4:]}").count() == 1
    shot("two-secrets-after-reload")

    page.goto("/developer/apps/")
    page.get_by_role("link", name="Photo Frame").wait_for()
    shot("list")

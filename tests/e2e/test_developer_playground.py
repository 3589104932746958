import re

from apps.oauth.models import Application
from apps.oauth.secrets import create_client_secret
from tests.developer.conftest import make_app
from tests.e2e.test_developer_console import sign_in


def test_playground_runs_the_whole_flow_against_this_server(page, shot, live_server, developer, monkeypatch):
    # requests-oauthlib refuses plain http unless told otherwise; the live server is http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    # Redirect URIs may use http only on a loopback IP, so drive the server as 127.0.0.1.
    base = live_server.url.replace("localhost", "127.0.0.1")
    app = make_app(
        developer,
        name="Photo Frame",
        description="Shows your photos on a frame in your kitchen.",
        allowed_scopes=["openid", "profile", "email", "read"],
        scope_justifications={"profile": "To greet you by name."},
    )
    _, secret = create_client_secret(application=app)
    sign_in(page, developer, base)

    page.goto(f"{base}/developer/playground/?app={app.pk}")
    page.get_by_text("not registered").wait_for()
    shot("callback-not-registered")
    page.get_by_role("button", name="Add the callback to Photo Frame").click()
    page.get_by_text("✓ registered").wait_for()
    app.refresh_from_db()
    assert f"{base}/developer/playground/callback/" in app.redirect_uris.split()

    page.get_by_role("button", name="Start a run").click()
    page.get_by_role("heading", name=re.compile("Authorization request")).wait_for()
    assert "code_challenge_method=S256" in page.locator(".dev-step-authorize .dev-request").inner_text()
    shot("authorization-url")

    page.get_by_role("link", name="Open the consent screen").click()
    page.get_by_role("button", name="Allow").wait_for()
    shot("consent-screen")
    page.get_by_role("button", name="Allow").click()

    page.get_by_role("heading", name=re.compile("Consent screen and callback")).wait_for()
    assert "/developer/playground/" in page.url and "code=" not in page.url
    shot("code-received")

    page.get_by_label("Client secret for this run").fill(secret)
    page.get_by_role("button", name="Exchange the code for tokens").click()
    page.get_by_role("heading", name=re.compile("ID token claims")).wait_for()
    token_step = page.locator(".dev-step-token")
    assert "HTTP 200" in token_step.inner_text()
    assert "characters)" in token_step.inner_text()  # tokens are masked
    claims = page.locator(".dev-step-id_token")
    assert "signature verified with a key from the JWKS endpoint" in claims.inner_text()
    assert claims.locator(".dev-check-fail").count() == 0
    assert "dev@example.com" in claims.inner_text()
    shot("tokens-and-id-token")

    page.get_by_role("button", name=re.compile(r"^Call ")).click()
    api_step = page.locator(".dev-step-api")
    api_step.wait_for()
    assert "HTTP 200" in api_step.inner_text()

    page.get_by_role("button", name="Refresh the tokens").click()
    refresh_step = page.locator(".dev-step-refresh")
    refresh_step.wait_for()
    assert "a new refresh token replaced the old one (rotation)" in refresh_step.inner_text()
    assert refresh_step.locator(".dev-check-fail").count() == 0

    page.get_by_role("button", name="Revoke").click()
    revoke_step = page.locator(".dev-step-revoke")
    revoke_step.wait_for()
    assert revoke_step.locator(".dev-check-fail").count() == 0
    page.get_by_text("That's the whole flow").wait_for()
    assert page.locator(".dev-step-failed").count() == 0
    shot("whole-flow")

    # The secret was only ever in the browser's password field: never stored server-side.
    assert secret not in page.content()
    from django.contrib.sessions.models import Session

    assert all(secret not in str(s.get_decoded()) for s in Session.objects.all())

    # The run shows up in the app's usage: two token requests (code, refresh), one person.
    page.goto(f"{base}/developer/apps/{app.pk}/")
    usage = page.locator(".dev-stats")
    assert "Tokens issued in 30 days\n2" in usage.inner_text() and "Authorized users\n1" in usage.inner_text()
    page.get_by_text("Delete this app…").click()
    page.get_by_text("1 person will lose access").wait_for()
    shot("usage-and-delete")


def test_explain_box_says_which_check_fails(page, shot, live_server, developer):
    app = make_app(developer, name="Photo Frame", redirect_uris="https://frame.example.com/callback")
    sign_in(page, developer, live_server.url)
    page.goto(f"/developer/playground/?app={app.pk}")
    url = (
        f"https://id.example.com/o/authorize/?response_type=code&client_id={app.client_id}"
        "&redirect_uri=https://frame.example.com/callbak&scope=openid%20admin&state=xyz"
    )
    page.get_by_label("Authorization URL").fill(url)
    page.get_by_role("button", name="Explain").click()
    verdict = page.locator(".dev-verdict")
    verdict.wait_for()
    assert "fails at “Redirect URI”" in verdict.inner_text()
    text = page.locator("#explanation").inner_text()
    assert "Closest registered URI: https://frame.example.com/callback — the path differs" in text
    assert "Missing PKCE" in text
    assert "admin is not allowed for this app" in text
    assert Application.objects.filter(pk=app.pk).exists()
    shot("explained")

"""A person signs in to an app that pushed its request first (RFC 9126): the same consent screen."""

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from apps.oauth.models import Application
from tests.e2e.test_consent_journey import catch_callback, sign_in
from tests.oauth_flow import CLIENT_SECRET, REDIRECT_URI, authorize_params, pkce_pair

pytestmark = pytest.mark.browser


def test_a_pushed_request_leads_through_sign_in_and_consent(page, shot, user, application):
    Application.objects.filter(pk=application.pk).update(require_pushed_authorization_requests=True)
    landed = catch_callback(page)
    verifier, challenge = pkce_pair()
    # The app's server pushes the request; the browser only ever sees client_id and request_uri.
    params = authorize_params(application, scope="openid profile email", challenge=challenge)
    pushed = page.request.post("/o/par/", form={**params, "client_secret": CLIENT_SECRET})
    assert pushed.status == 201, pushed.text()
    request_uri = pushed.json()["request_uri"]
    page.goto("/o/authorize/?" + urlencode({"client_id": application.client_id, "request_uri": request_uri}))

    sign_in(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Photo Printer wants to access your Gatehouse account").wait_for()
    assert "redirect_uri" not in page.url
    shot("pushed-request-consent")
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
            "client_id": application.client_id,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )
    assert exchanged.status == 200 and exchanged.json()["access_token"]

    # The same link again is spent: an error page, not a second code.
    page.goto("/o/authorize/?" + urlencode({"client_id": application.client_id, "request_uri": request_uri}))
    page.get_by_role("heading", name="This sign-in link was already used").wait_for()
    shot("pushed-request-already-used")


def test_the_playground_pushes_first_for_an_app_that_requires_it(
    page, shot, live_server, developer, monkeypatch
):
    import re

    from apps.oauth.secrets import create_client_secret
    from tests.developer.conftest import make_app
    from tests.e2e.test_developer_console import sign_in as developer_sign_in

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    base = live_server.url.replace("localhost", "127.0.0.1")
    app = make_app(
        developer,
        name="Photo Frame",
        allowed_scopes=["openid", "profile"],
        redirect_uris=f"{base}/developer/playground/callback/",
        require_pushed_authorization_requests=True,
    )
    _, secret = create_client_secret(application=app)
    developer_sign_in(page, developer, base)

    page.goto(f"{base}/developer/playground/?app={app.pk}")
    assert page.get_by_label("Push the request first (PAR)").is_checked()
    page.get_by_label("Client secret, to push the request").fill(secret)
    shot("playground-par-setup")
    page.get_by_role("button", name="Start a run").click()
    page.get_by_role("heading", name=re.compile("Pushed authorization request")).wait_for()
    assert "request_uri=" in page.locator(".dev-step-authorize .dev-request").inner_text()
    assert "redirect_uri" not in page.locator(".dev-step-authorize .dev-request").inner_text()
    shot("playground-par-pushed")

    page.get_by_role("link", name="Open the consent screen").click()
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name=re.compile("Consent screen and callback")).wait_for()
    assert page.locator(".dev-step-failed").count() == 0

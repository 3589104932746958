"""A developer moves an app to private_key_jwt in the console, pastes a JWK Set, and the app's
server then gets a token with a signed assertion instead of a secret."""

import json

import pytest

from apps.oauth.models import Application
from tests.e2e.test_developer_console import sign_in
from tests.oauth.client_keys import ASSERTION_TYPE, claims_for, public_jwks, rsa_key, sign

pytestmark = pytest.mark.browser


def test_developer_turns_on_private_key_jwt_and_pastes_a_jwks(
    page, shot, live_server, developer, application
):
    Application.objects.filter(pk=application.pk).update(
        grant_types=[Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_CLIENT_CREDENTIALS]
    )
    key = rsa_key("frame-2026")
    sign_in(page, developer, live_server.url)
    page.goto(f"/developer/apps/{application.pk}/settings/")
    page.get_by_role("heading", name="How your server proves it is your app").wait_for()
    page.get_by_label("Private key (private_key_jwt)").check()
    page.get_by_label("Public keys (JWK Set)").fill(json.dumps(public_jwks(key), indent=2))
    shot("private-key-jwt-settings")
    page.get_by_role("button", name="Save changes").click()

    page.get_by_role("heading", name="Client authentication").wait_for()
    panel = page.locator("#client-auth-panel")
    assert "frame-2026" in panel.inner_text()
    assert "client secrets are refused" in panel.inner_text()
    shot("private-key-jwt-app-page")

    # The app's server, as a client library would: a signed assertion, no secret.
    audience = live_server.url + "/o/token/"
    answer = page.request.post(
        "/o/token/",
        form={
            "grant_type": "client_credentials",
            "scope": "read",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": sign(key, claims_for(application.client_id, aud=audience)),
        },
    )
    assert answer.status == 200, answer.text()
    assert answer.json()["access_token"]


def test_a_private_key_pasted_by_mistake_is_explained(page, live_server, developer, application):
    sign_in(page, developer, live_server.url)
    page.goto(f"/developer/apps/{application.pk}/settings/")
    page.get_by_label("Private key (private_key_jwt)").check()
    page.get_by_label("Public keys (JWK Set)").fill(
        json.dumps({"keys": [json.loads(rsa_key().export_private())]})
    )
    page.get_by_role("button", name="Save changes").click()
    page.locator("#id_jwks_error").get_by_text("is a private or secret key").wait_for()

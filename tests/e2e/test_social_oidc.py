"""Sign in through the generic OpenID Connect backend against a real local provider.

oidc-provider-mock runs as a real OpenID Connect server on 127.0.0.1 (discovery, JWKS,
signed ID tokens, userinfo); Chromium goes there and back exactly as with a company's IdP.
"""

import re
import threading

import pytest
from allauth.account.models import EmailAddress
from jinja2 import ChoiceLoader, DictLoader
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import app as oidc_provider_app
from social_core.backends.utils import load_backends
from social_django.models import UserSocialAuth
from werkzeug.serving import make_server

from apps.accounts.models import User

# The provider's own consent page has an unlabeled field and a CDN stylesheet; every page the
# browser loads is audited by axe, so the test provider serves this accessible one instead.
AUTHORIZATION_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme SSO</title></head>
<body><main>
  <h1>Acme SSO</h1>
  <p>Sign in to continue to <code>{{ client_id }}</code>.</p>
  <form method="post">
    <label for="sub">Username</label> <input id="sub" type="text" name="sub" required>
    <button type="submit">Authorize</button>
  </form>
  <form method="post"><button type="submit" name="action" value="deny">Deny</button></form>
</main></body></html>"""


@pytest.fixture
def oidc_provider():
    """A local OpenID Connect provider on a free port of 127.0.0.1, with one known person."""
    app = oidc_provider_app(
        user_claims=[
            ProviderUser(
                sub="ada",
                claims={"email": "ada@acme.example", "email_verified": True, "name": "Ada Lovelace"},
            )
        ]
    )
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"authorization_form.html": AUTHORIZATION_FORM}), app.jinja_loader]
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    # The other providers are configured too, so the pages show every button (none is clicked).
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "social_core.backends.google.GoogleOAuth2",
        "social_core.backends.github.GithubOAuth2",
        "social_core.backends.facebook.FacebookOAuth2",
        "social_core.backends.open_id_connect.OpenIdConnectAuth",
    ]
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = oidc_provider
    settings.SOCIAL_AUTH_OIDC_KEY = "gatehouse-e2e"
    settings.SOCIAL_AUTH_OIDC_SECRET = "gatehouse-e2e-secret"
    settings.SOCIAL_AUTH_OIDC_TITLE = "Acme SSO"
    load_backends(settings.AUTHENTICATION_BACKENDS, force_load=True)
    yield
    load_backends([], force_load=True)


def test_new_person_signs_in_with_openid_connect_and_sees_sign_in_methods(page, shot, oidc_settings):
    page.goto("/accounts/login/")
    shot("sign-in")
    page.get_by_role("button", name="Continue with Acme SSO").click()

    page.get_by_role("heading", name="Acme SSO").wait_for()
    page.get_by_label("Username").fill("ada")
    shot("provider")
    page.get_by_role("button", name="Authorize").click()

    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    assert page.url.endswith("/dashboard/")
    assert page.get_by_role("heading", name="Hello, Ada Lovelace").is_visible()
    shot("dashboard")

    user = User.objects.get(email="ada@acme.example")
    assert user.username == "ada"  # from the email address: this provider sends no username
    assert EmailAddress.objects.get(user=user).verified
    assert UserSocialAuth.objects.get(user=user).provider == "oidc"

    page.goto("/settings/sign-in-methods/")
    page.get_by_role("heading", name="Sign-in methods").wait_for()
    assert page.get_by_text("ada@acme.example").is_visible()
    assert page.get_by_text("Only way to sign in").is_visible()
    shot("sign-in-methods")


def test_denying_at_the_provider_comes_back_to_sign_in_with_a_message(page, shot, oidc_settings):
    page.goto("/accounts/signup/")
    shot("sign-up")
    page.get_by_role("button", name="Continue with Acme SSO").click()

    page.get_by_role("button", name="Deny").click()

    page.get_by_text("Signing in with Acme SSO was cancelled.").wait_for()
    assert "/accounts/login/" in page.url
    shot("cancelled")
    assert not User.objects.exists()

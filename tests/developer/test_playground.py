"""The playground, driven through the test client against a live server it calls over HTTP."""

import logging
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.developer.playground import SESSION_KEY, load_run
from apps.oauth.models import Application, Consent
from apps.oauth.secrets import create_client_secret
from tests.developer.conftest import make_app

POST_ACTIONS = [
    "developer:playground-add-callback",
    "developer:playground-start",
    "developer:playground-exchange",
    "developer:playground-call-api",
    "developer:playground-refresh",
    "developer:playground-revoke",
    "developer:playground-reset",
]


class Playground:
    """A signed-in developer's browser, talking to the live server's host."""

    def __init__(self, live_server, developer, app, secret=""):
        self.host = urlsplit(live_server.url.replace("localhost", "127.0.0.1")).netloc
        self.client = Client(HTTP_HOST=self.host)
        self.client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
        self.app, self.secret = app, secret

    def post(self, name, data=None):
        return self.client.post(reverse(name, args=[self.app.pk]), data or {})

    def start(self, scopes=("openid", "profile", "email", "read")):
        self.post("developer:playground-add-callback")
        return self.post("developer:playground-start", {"scope": list(scopes)})

    def consent(self, allow=True):
        """Follow the authorization URL to the consent screen and answer it."""
        url = urlsplit(self.run().authorize_url)
        page = self.client.get(url.path + "?" + url.query)
        assert page.status_code == 200
        form = {key: value for key, value in page.context["form"].initial.items() if value is not None}
        # What a browser posts: the CSRF field, and every scope left ticked.
        form.update(csrfmiddlewaretoken="-", granted=form["scope"].split())
        if allow:
            form["allow"] = "Authorize"
        answer = self.client.post(url.path, form)
        callback = urlsplit(answer["Location"])
        assert callback.path == reverse("developer:playground-callback")
        return self.client.get(callback.path + "?" + callback.query)

    def run(self):
        return load_run(self.client.session)

    def step(self, kind):
        return next(step for step in reversed(self.run().steps) if step.kind == kind)


@pytest.fixture
def insecure_transport(monkeypatch):
    # requests-oauthlib refuses plain http unless told; the live server speaks plain http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def confidential(live_server, developer, insecure_transport):
    app = make_app(developer, name="Photo Frame", allowed_scopes=["openid", "profile", "email", "read"])
    _, secret = create_client_secret(application=app)
    return Playground(live_server, developer, app, secret)


@pytest.fixture
def public(live_server, developer, insecure_transport):
    app = make_app(
        developer,
        name="Frame Mobile",
        client_type=Application.CLIENT_PUBLIC,
        allowed_scopes=["openid", "read"],
    )
    return Playground(live_server, developer, app)


def test_a_confidential_app_runs_the_whole_flow(confidential, caplog):
    caplog.set_level(logging.DEBUG)
    playground = confidential
    playground.start()
    assert playground.run().stage == "authorize"
    assert "code_challenge_method=S256" in playground.run().authorize_url

    playground.consent()
    assert playground.step("callback").ok and playground.run().stage == "code"

    playground.post("developer:playground-exchange", {"client_secret": playground.secret})
    token, claims = playground.step("token"), playground.step("id_token")
    assert token.ok and token.status == 200 and '"token_type": "Bearer"' in token.body
    assert claims.ok and dict((name, value) for name, value, _ in claims.rows)["email"] == "dev@example.com"

    playground.post("developer:playground-call-api")
    assert (
        playground.step("api").status == 200 and '"email": "dev@example.com"' in playground.step("api").body
    )

    playground.post("developer:playground-refresh", {"client_secret": playground.secret})
    assert playground.step("refresh").ok

    playground.post("developer:playground-revoke", {"client_secret": playground.secret})
    assert playground.step("revoke").ok and playground.run().stage == "done"
    assert not any(not step.ok for step in playground.run().steps)

    # The pasted secret reached neither the session (in the database) nor the logs.
    stored = "".join(str(session.get_decoded()) for session in Session.objects.all())
    assert playground.secret not in stored and playground.secret not in caplog.text


def test_a_public_app_needs_no_secret(public):
    public.start(scopes=["openid", "read"])
    public.consent()
    public.post("developer:playground-exchange")
    assert public.step("token").ok and public.step("id_token").ok
    public.post("developer:playground-refresh")
    assert public.step("refresh").ok
    public.post("developer:playground-revoke")
    assert public.step("revoke").ok


def test_tokens_are_shown_masked_and_kept_encrypted(confidential):
    confidential.start()
    confidential.consent()
    confidential.post("developer:playground-exchange", {"client_secret": confidential.secret})
    page = confidential.client.get(reverse("developer:playground"), {"app": confidential.app.pk})
    session = confidential.client.session[SESSION_KEY]
    from apps.developer.playground import open_vault

    access_token = open_vault(confidential.run())["access_token"]
    assert access_token not in page.content.decode()
    assert access_token not in str(session)
    assertContains(page, f"{access_token[:4]}…{access_token[-4:]}")


def test_a_wrong_secret_shows_the_servers_answer(confidential):
    confidential.start()
    confidential.consent()
    confidential.post("developer:playground-exchange", {"client_secret": "not-the-secret"})
    step = confidential.step("token")
    assert not step.ok and step.status == 401 and "invalid_client" in step.body


def test_a_stored_consent_does_not_skip_the_consent_step_of_a_run(confidential, developer):
    confidential.start()
    confidential.consent()
    assert Consent.objects.filter(user=developer, application=confidential.app).get().covers(["openid"])
    confidential.start()
    assert "prompt=consent" in confidential.run().authorize_url
    confidential.consent()  # asserts that the consent screen showed (200), not a redirect
    assert confidential.step("callback").summary.startswith("You approved on the consent screen.")


def test_denying_consent_is_shown_as_the_callback_step(confidential):
    confidential.start()
    confidential.consent(allow=False)
    step = confidential.step("callback")
    assert not step.ok and "error=access_denied" in step.summary
    assert confidential.run().stage == "authorize"


def test_a_callback_with_another_state_fails_its_check(confidential):
    confidential.start()
    response = confidential.client.get(
        reverse("developer:playground-callback"), {"code": "x", "state": "forged"}
    )
    assert response.status_code == 302
    step = confidential.step("callback")
    assert not step.ok and ("state is the one this run sent (CSRF protection)", False) in step.checks


def test_a_callback_without_a_run_goes_back_to_the_playground(dev_client):
    response = dev_client.get(
        reverse("developer:playground-callback"), {"code": "x", "state": "y"}, follow=True
    )
    assertContains(response, "This callback does not belong to a playground run of yours.")


def test_the_callback_is_offered_for_an_app_without_it(dev_client, application):
    response = dev_client.get(
        reverse("developer:playground"), {"app": application.pk}, HTTP_HOST="127.0.0.1:8000"
    )
    assertContains(response, "Add the callback to Photo Printer")


def test_a_localhost_callback_is_explained_not_offered(dev_client, application):
    response = dev_client.get(
        reverse("developer:playground"), {"app": application.pk}, HTTP_HOST="localhost:8000"
    )
    assertContains(response, "instead of localhost")
    assertContains(response, "http://127.0.0.1:8000/developer/playground/")


def test_plain_http_without_the_opt_in_is_explained(dev_client, application, monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    application.redirect_uris += " http://127.0.0.1/developer/playground/callback/"
    application.save()
    response = dev_client.get(reverse("developer:playground"), {"app": application.pk}, HTTP_HOST="127.0.0.1")
    assertContains(response, "OAUTHLIB_INSECURE_TRANSPORT=1")


def test_actions_without_a_run_ask_to_start_one(dev_client, application):
    response = dev_client.post(reverse("developer:playground-call-api", args=[application.pk]), follow=True)
    assertContains(response, "Start a run first")


def test_with_htmx_a_step_returns_only_the_run(dev_client, application, insecure_transport):
    dev_client.post(reverse("developer:playground-add-callback", args=[application.pk]))
    response = dev_client.post(
        reverse("developer:playground-start", args=[application.pk]),
        {"scope": ["openid"]},
        headers={"HX-Request": "true"},
    )
    assert b"<html" not in response.content
    assertContains(response, 'id="playground-run"')
    assertContains(response, "Open the consent screen")


# --- the four tests of each POST action ------------------------------------------------------


def test_add_callback_works_for_the_owner(dev_client, application):
    dev_client.post(reverse("developer:playground-add-callback", args=[application.pk]))
    application.refresh_from_db()
    assert "http://testserver/developer/playground/callback/" not in application.redirect_uris  # not loopback
    dev_client.post(
        reverse("developer:playground-add-callback", args=[application.pk]), HTTP_HOST="127.0.0.1:8000"
    )
    application.refresh_from_db()
    assert "http://127.0.0.1:8000/developer/playground/callback/" in application.redirect_uris.split()


def test_start_works_for_the_owner(dev_client, application, insecure_transport):
    dev_client.post(
        reverse("developer:playground-start", args=[application.pk]), {"scope": ["openid", "email"]}
    )
    run = load_run(dev_client.session, application)
    assert run.scope == "openid email" and run.stage == "authorize"


def test_start_ignores_scopes_the_app_may_not_request(dev_client, developer, insecure_transport):
    app = make_app(developer, allowed_scopes=["openid"])
    dev_client.post(reverse("developer:playground-start", args=[app.pk]), {"scope": ["openid", "admin"]})
    assert load_run(dev_client.session, app).scope == "openid"


def test_exchange_works_for_the_owner(confidential):
    confidential.start()
    confidential.consent()
    confidential.post("developer:playground-exchange", {"client_secret": confidential.secret})
    assert confidential.step("token").ok


def test_call_api_works_for_the_owner(public):
    public.start(scopes=["openid", "read"])
    public.consent()
    public.post("developer:playground-exchange")
    public.post("developer:playground-call-api")
    assert public.step("api").ok


def test_refresh_works_for_the_owner(public):
    public.start(scopes=["openid", "read"])
    public.consent()
    public.post("developer:playground-exchange")
    public.post("developer:playground-refresh")
    assert public.step("refresh").ok


def test_revoke_works_for_the_owner(public):
    public.start(scopes=["openid", "read"])
    public.consent()
    public.post("developer:playground-exchange")
    public.post("developer:playground-revoke")
    assert public.step("revoke").ok


def test_reset_works_for_the_owner(dev_client, application, insecure_transport):
    dev_client.post(reverse("developer:playground-start", args=[application.pk]), {"scope": ["openid"]})
    dev_client.post(reverse("developer:playground-reset", args=[application.pk]))
    assert SESSION_KEY not in dev_client.session


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_playground_actions_are_404_for_another_user(other_client, application, name):
    assert other_client.post(reverse(name, args=[application.pk])).status_code == 404


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_playground_actions_send_anonymous_users_to_sign_in(client, application, name):
    response = client.post(reverse(name, args=[application.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_playground_actions_refuse_get(dev_client, application, name):
    assert dev_client.get(reverse(name, args=[application.pk])).status_code == 405


def test_the_playground_slows_down_a_developer_who_floods_it(
    dev_client, application, insecure_transport, settings
):
    from apps.developer.playground_views import STEPS_PER_MINUTE

    url = reverse("developer:playground-start", args=[application.pk])
    for _ in range(STEPS_PER_MINUTE):
        dev_client.post(url, {"scope": ["openid"]})
    response = dev_client.post(url, {"scope": ["openid"]}, follow=True)
    assertContains(response, f"{STEPS_PER_MINUTE} playground steps this minute")

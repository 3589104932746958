"""The console and pushed authorization requests: the setting, the explainer, the playground."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from apps.audit.models import AuditEvent
from apps.developer.explain import explain_authorize_url
from apps.oauth import pushed
from apps.oauth.models import Application, PushedAuthorizationRequest
from tests.developer.conftest import form_data, make_app
from tests.developer.test_playground import Playground
from tests.oauth_flow import pkce_pair

pytestmark = pytest.mark.django_db

CALLBACK = "https://extra.example.com/callback"


def pushed_params() -> dict:
    return {
        "response_type": ["code"],
        "redirect_uri": [CALLBACK],
        "scope": ["openid profile"],
        "state": ["xyz"],
        "nonce": ["n"],
        "code_challenge": [pkce_pair()[1]],
        "code_challenge_method": ["S256"],
    }


def explain(app, **params):
    url = "https://id.example.com/o/authorize/?" + urlencode({"client_id": app.client_id, **params})
    owned = Application.objects.filter(user=app.user)
    return explain_authorize_url(url, applications=owned, authorize_path=reverse("oauth2_provider:authorize"))


# --- The app's setting ---------------------------------------------------------------------------


def test_the_settings_page_explains_require_par(dev_client, application):
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "Require pushed authorization requests (PAR)")
    assertContains(response, "never travel through the browser")


def test_requiring_par_is_saved_and_audited(dev_client, developer):
    app = make_app(developer, redirect_uris="https://frame.example.com/callback")
    url = reverse("developer:app-edit", args=[app.pk])
    response = dev_client.post(url, form_data(require_pushed_authorization_requests="on"))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.require_pushed_authorization_requests
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_UPDATED)
    assert "require_pushed_authorization_requests" in event.data["fields"]


# --- Explain this request --------------------------------------------------------------------------


def test_a_pushed_request_is_explained_without_spending_it(developer):
    app = make_app(developer)
    request_uri = pushed.push_request(application=app, parameters=pushed_params())
    explanation = explain(app, request_uri=request_uri)
    assert explanation.first_failure is None, explanation.checks
    check = next(c for c in explanation.checks if c.label == "Pushed request")
    assert check.status == "pass" and "unused" in check.detail
    assert {c.label for c in explanation.checks} >= {"Redirect URI", "Scopes", "PKCE"}
    request = HttpRequest()
    request.session = {}
    assert pushed.redeem(request, request_uri=request_uri, client_id=app.client_id).parameters


def test_other_parameters_beside_a_request_uri_are_said_to_be_ignored(developer):
    app = make_app(developer)
    request_uri = pushed.push_request(application=app, parameters=pushed_params())
    explanation = explain(app, request_uri=request_uri, scope="openid email")
    warning = next(c for c in explanation.checks if c.status == "warn" and c.label == "Pushed request")
    assert "scope" in warning.detail and "ignored" in warning.detail


def test_a_used_request_uri_is_explained(developer):
    app = make_app(developer)
    request_uri = pushed.push_request(application=app, parameters=pushed_params())
    PushedAuthorizationRequest.objects.update(used_at=timezone.now())
    failure = explain(app, request_uri=request_uri).first_failure
    assert failure.label == "Pushed request" and "already used" in failure.detail
    assert failure.fatal and failure.error == "invalid_request_uri"


def test_an_expired_request_uri_is_explained(developer):
    app = make_app(developer)
    request_uri = pushed.push_request(application=app, parameters=pushed_params())
    PushedAuthorizationRequest.objects.update(expires=timezone.now() - timedelta(seconds=5))
    failure = explain(app, request_uri=request_uri).first_failure
    assert "expired" in failure.detail and "60 seconds" in failure.detail


def test_another_apps_request_uri_is_unknown(developer):
    app, other = make_app(developer), make_app(developer, name="Other")
    request_uri = pushed.push_request(application=other, parameters=pushed_params())
    failure = explain(app, request_uri=request_uri).first_failure
    assert "No request your app pushed" in failure.detail


def test_a_plain_request_of_an_app_requiring_par_is_explained(developer):
    app = make_app(developer, require_pushed_authorization_requests=True)
    params = {name: values[0] for name, values in pushed_params().items()}
    failure = explain(app, response_type="code", **{k: v for k, v in params.items() if k != "response_type"})
    failure = failure.first_failure
    assert failure.label == "Pushed request" and failure.error == "invalid_request"
    assert "/o/par/" in failure.detail


# --- The playground --------------------------------------------------------------------------------


@pytest.fixture
def confidential(live_server, developer, insecure_transport):
    from apps.oauth.secrets import create_client_secret

    app = make_app(developer, name="Photo Frame", allowed_scopes=["openid", "profile", "email", "read"])
    _, secret = create_client_secret(application=app)
    return Playground(live_server, developer, app, secret)


@pytest.fixture
def insecure_transport(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def start_with_par(playground, **extra):
    playground.post("developer:playground-add-callback")
    data = {"scope": ["openid", "profile"], "client_secret": playground.secret, **extra}
    return playground.post("developer:playground-start", data)


def test_the_playground_pushes_the_request_first(confidential):
    start_with_par(confidential, par="1")
    push = confidential.step("par")
    assert push.ok and push.status == 201 and "request_uri" in push.body
    query = parse_qs(urlsplit(confidential.run().authorize_url).query)
    assert set(query) == {"client_id", "request_uri"}
    confidential.consent()
    assert confidential.step("callback").ok
    confidential.post("developer:playground-exchange", {"client_secret": confidential.secret})
    assert confidential.step("token").ok and confidential.step("id_token").ok


def test_the_playground_always_pushes_for_an_app_requiring_par(confidential):
    Application.objects.filter(pk=confidential.app.pk).update(require_pushed_authorization_requests=True)
    start_with_par(confidential)
    assert confidential.step("par").ok
    page = confidential.client.get(reverse("developer:playground"), {"app": confidential.app.pk})
    assertContains(page, "Required: Photo Frame accepts pushed requests only.")


def test_a_refused_push_stops_the_run(confidential):
    confidential.secret = "wrong"
    start_with_par(confidential, par="1")
    assert not confidential.step("par").ok and confidential.step("par").status == 401
    assert confidential.run().stage == "push_failed"
    page = confidential.client.get(reverse("developer:playground"), {"app": confidential.app.pk})
    assertContains(page, "The push was refused")

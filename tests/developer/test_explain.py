""" "Explain this request": each failing check in words, and the prediction matches /o/authorize/."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.developer.explain import explain_authorize_url
from apps.oauth.models import Application
from tests.developer.conftest import make_app
from tests.oauth_flow import pkce_pair

CALLBACK = "https://frame.example.com/callback"


@pytest.fixture
def app(developer):
    return make_app(
        developer, name="Photo Frame", redirect_uris=CALLBACK, allowed_scopes=["openid", "profile"]
    )


def good_params(app, **changes) -> dict:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile",
        "state": "xyz",
        "nonce": "n",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def explain(app, **changes):
    url = "https://id.example.com/o/authorize/?" + urlencode(good_params(app, **changes))
    owned = Application.objects.filter(user=app.user)
    return explain_authorize_url(url, applications=owned, authorize_path=reverse("oauth2_provider:authorize"))


CASES = [
    # (what changes, failing check, OAuth error or None when fatal, words in the detail)
    ({"client_id": None}, "Client", None, "There is no client_id parameter."),
    ({"client_id": "nope"}, "Client", None, "None of your apps has the client ID nope."),
    (
        {"redirect_uri": "https://frame.example.com/callbak"},
        "Redirect URI",
        None,
        "the path differs ('/callbak' here, '/callback' registered)",
    ),
    ({"redirect_uri": "https://frame.example.org/callback"}, "Redirect URI", None, "the hostname differs"),
    ({"redirect_uri": "http://frame.example.com/callback"}, "Redirect URI", None, "the scheme differs"),
    ({"redirect_uri": "https://frame.example.com:8443/callback"}, "Redirect URI", None, "the port differs"),
    ({"redirect_uri": "https://frame.example.com/callback?x=1"}, "Redirect URI", None, "the query differs"),
    ({"redirect_uri": "https://FRAME.example.com/callback"}, "Redirect URI", None, "only in letter case"),
    ({"response_type": "token"}, "Response type", "unauthorized_client", "implicit and hybrid"),
    ({"response_type": "magic"}, "Response type", "unsupported_response_type", "only issues codes"),
    ({"response_type": None}, "Response type", "invalid_request", "send response_type=code"),
    ({"code_challenge": None}, "PKCE", "invalid_request", "Missing PKCE"),
    ({"code_challenge_method": "plain"}, "PKCE", "invalid_request", "only accepts S256"),
    ({"code_challenge_method": None}, "PKCE", "invalid_request", "missing, which means plain"),
    ({"scope": "openid email"}, "Scopes", "invalid_scope", "email is not allowed for this app"),
    ({"scope": "openid superpowers"}, "Scopes", "invalid_scope", "no scope named superpowers"),
]


@pytest.mark.parametrize(
    ("changes", "label", "error", "words"), CASES, ids=[c[1] + "-" + c[3][:20] for c in CASES]
)
def test_the_failing_check_is_named_and_explained(app, changes, label, error, words):
    explanation = explain(app, **changes)
    failure = explanation.first_failure
    assert failure.label == label and words in failure.detail, failure
    assert failure.fatal == (error is None)
    if error:
        assert failure.error == error and f"error={error}" in explanation.verdict


def test_a_good_request_passes_every_check(app):
    explanation = explain(app)
    assert explanation.first_failure is None
    assert explanation.verdict == "This request passes every check: people will see the consent screen."


def test_a_grant_type_that_is_not_enabled_is_named(developer):
    service = make_app(
        developer,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        redirect_uris=CALLBACK,
        allowed_scopes=["openid", "profile"],
    )
    failure = explain(service).first_failure
    assert failure.label == "Grant type" and failure.error == "unauthorized_client"


def test_missing_state_and_nonce_are_warnings(app):
    explanation = explain(app, state=None, nonce=None)
    assert explanation.first_failure is None
    assert {c.label for c in explanation.checks if c.status == "warn"} == {"State", "Nonce"}


def test_repeated_parameters_are_refused(app):
    url = "/o/authorize/?" + urlencode(good_params(app)) + "&scope=admin"
    explanation = explain_authorize_url(
        url, applications=Application.objects.all(), authorize_path="/o/authorize/"
    )
    assert explanation.first_failure.label == "Parameters"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"client_id": "nope"},
        {"redirect_uri": "https://frame.example.com/callbak"},
        {"response_type": "token"},
        {"response_type": "magic"},
        {"code_challenge": None},
        {"scope": "openid email"},
    ],
    ids=[
        "ok",
        "unknown-client",
        "redirect-mismatch",
        "implicit",
        "unknown-response-type",
        "no-pkce",
        "scope",
    ],
)
def test_the_explanation_predicts_what_the_endpoint_does(app, user, changes):
    explanation = explain(app, **changes)
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.get(reverse("oauth2_provider:authorize"), good_params(app, **changes))
    failure = explanation.first_failure
    if failure is None:
        assert response.status_code == 200  # the consent screen
    elif failure.fatal:
        assert response.status_code == 400  # an error page at Gatehouse, no redirect
    else:
        assert response.status_code == 302
        assert parse_qs(urlsplit(response["Location"]).query)["error"] == [failure.error]


def test_the_explain_page_works_without_javascript(dev_client, app):
    url = "https://id.example.com/o/authorize/?" + urlencode(good_params(app, scope="openid email"))
    response = dev_client.get(reverse("developer:playground-explain"), {"url": url})
    assertContains(response, "<h1>OAuth playground</h1>", html=True)
    assertContains(response, "email is not allowed for this app")


def test_with_htmx_the_explanation_comes_back_alone(dev_client, app):
    url = "https://id.example.com/o/authorize/?" + urlencode(good_params(app))
    response = dev_client.get(
        reverse("developer:playground-explain"), {"url": url}, headers={"HX-Request": "true"}
    )
    assert b"<html" not in response.content
    assertContains(response, "This request passes every check")

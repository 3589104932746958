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
    ({"response_type": "token"}, "Response type", "unsupported_response_type", "implicit and hybrid"),
    ({"response_type": "magic"}, "Response type", "unsupported_response_type", "only issues codes"),
    ({"response_type": None}, "Response type", "invalid_request", "send response_type=code"),
    ({"code_challenge": None}, "PKCE", "invalid_request", "Missing PKCE"),
    ({"code_challenge_method": "plain"}, "PKCE", "invalid_request", "only accepts S256"),
    ({"code_challenge_method": None}, "PKCE", "invalid_request", "missing, which means plain"),
    ({"code_challenge_method": "S512"}, "PKCE", "invalid_request", "is not a PKCE method"),
    ({"code_challenge": "abc"}, "PKCE", "invalid_request", "exactly 43 base64url characters"),
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


# Requests whose verdict depends on the order of the endpoint's checks, or on one of its rules.
PREDICTIONS = {
    "ok": {},
    "unknown-client": {"client_id": "nope"},
    "redirect-mismatch": {"redirect_uri": "https://frame.example.com/callbak"},
    "redirect-case": {"redirect_uri": "https://FRAME.example.com/callback"},
    "no-redirect-uri-one-registered": {"redirect_uri": None},
    "implicit": {"response_type": "token"},
    "implicit-and-bad-scope": {"response_type": "token", "scope": "openid email"},
    "unknown-response-type": {"response_type": "magic"},
    "no-response-type-no-pkce": {"response_type": None, "code_challenge": None},
    "no-pkce": {"code_challenge": None},
    "no-pkce-and-bad-scope": {"code_challenge": None, "scope": "openid email"},
    "unknown-method-and-bad-scope": {"code_challenge_method": "S512", "scope": "openid email"},
    "plain": {"code_challenge_method": "plain"},
    "plain-and-bad-scope": {"code_challenge_method": "plain", "scope": "openid email"},
    "no-method-and-bad-scope": {"code_challenge_method": None, "scope": "openid email"},
    "scope": {"scope": "openid email"},
    "unknown-scope": {"scope": "openid superpowers"},
    "short-challenge": {"code_challenge": "abc"},
    "long-challenge": {"code_challenge": "a" * 128},
    "padded-challenge": {"code_challenge": "a" * 42 + "="},
    "standard-base64-challenge": {"code_challenge": "a" * 42 + "+"},
    "empty-challenge": {"code_challenge": ""},
    "short-challenge-and-bad-scope": {"code_challenge": "abc", "scope": "openid email"},
    "request-object": {"request": "eyJhbGciOiJub25lIn0.e30."},
    "request-uri": {"request_uri": "https://frame.example.com/request.jwt"},
    "claims": {"claims": '{"userinfo": {"email": null}}'},
    "malformed-claims": {"claims": "{bad"},
    "form-post": {"response_mode": "form_post"},
    "form-post-and-bad-scope": {"response_mode": "form_post", "scope": "openid email"},
}


def endpoint_answer(user, params: dict) -> tuple[int, str | None]:
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.get(reverse("oauth2_provider:authorize"), params)
    errors = parse_qs(urlsplit(response.get("Location", "")).query).get("error")
    return response.status_code, errors[0] if errors else None


def predicted_answer(explanation) -> tuple[int, str | None]:
    failure = explanation.first_failure
    if failure is None:
        return 200, None  # the consent screen
    if failure.fatal:
        return 400, None  # an error page at Gatehouse, no redirect
    return 302, failure.error


@pytest.mark.parametrize("changes", PREDICTIONS.values(), ids=PREDICTIONS.keys())
def test_the_explanation_predicts_what_the_endpoint_does(app, user, changes):
    assert predicted_answer(explain(app, **changes)) == endpoint_answer(user, good_params(app, **changes))


def test_a_repeated_parameter_is_predicted_where_the_endpoint_checks_it(app, user):
    for name, value in [("scope", "admin"), ("nonce", "again"), ("code_challenge", "x" * 43)]:
        query = urlencode(good_params(app)) + f"&{name}={value}"
        explanation = explain_authorize_url(
            "/o/authorize/?" + query, applications=Application.objects.all(), authorize_path="/o/authorize/"
        )
        browser = Client()
        browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        response = browser.get("/o/authorize/?" + query)
        errors = parse_qs(urlsplit(response.get("Location", "")).query).get("error")
        assert predicted_answer(explanation) == (response.status_code, errors[0] if errors else None), name
        assert explanation.first_failure.label == "Parameters"


def test_a_disabled_grant_is_predicted_before_a_scope_the_app_may_not_have(developer, user):
    service = make_app(
        developer,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        redirect_uris=CALLBACK,
        allowed_scopes=["read"],
    )
    explanation = explain(service, scope="openid")
    assert predicted_answer(explanation) == endpoint_answer(user, good_params(service, scope="openid"))
    assert explanation.first_failure.label == "Grant type"


def test_a_malformed_challenge_is_explained_with_the_endpoints_rule(app):
    for challenge, words in [("abc", "This one has 3."), ("a" * 42 + "+", "This one contains +.")]:
        failure = explain(app, code_challenge=challenge).first_failure
        assert failure.label == "PKCE" and failure.error == "invalid_request"
        assert failure.detail.startswith("An S256 code_challenge must be exactly 43 base64url characters")
        assert words in failure.detail


def test_scopes_are_checked_before_the_s256_rule_and_after_a_missing_challenge(app):
    assert explain(app, code_challenge_method="plain", scope="openid email").first_failure.label == "Scopes"
    assert explain(app, code_challenge=None, scope="openid email").first_failure.label == "PKCE"


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

"""The authorization endpoint where stock DOT falls short: prompt, max_age, POST, PKCE, errors."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_grant_model
from pytest_django.asserts import assertContains

from apps.oauth.consent import AUTH_TIME_SESSION_KEY
from apps.oauth.models import Application, Consent
from tests.conftest import PASSWORD
from tests.oauth.consent_support import AUTHORIZE, redirect_query, screen_for, submit, token_for
from tests.oauth_flow import authorize_params, make_client, pkce_pair
from tests.resource_support import FILES, PHOTOS, register_resource_server

Grant = get_grant_model()


def sign_in(client: Client, next_url: str):
    """A real sign-in through allauth's form, as a person does it."""
    return client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD, "next": next_url}
    )


def set_auth_time(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[AUTH_TIME_SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()


def login_next(response) -> str:
    assert response.status_code == 302, response.content[:300]
    location = urlparse(response["Location"])
    assert location.path == reverse("account_login")
    return parse_qs(location.query)["next"][0]


# --- prompt=none -------------------------------------------------------------------------------


def test_prompt_none_when_signed_out_redirects_with_login_required(client, application):
    response, _ = screen_for(client, application, prompt="none")
    query = redirect_query(response)
    assert query["error"] == "login_required"
    assert query["state"] == "state-123"
    assert query["iss"]


def test_prompt_none_without_a_stored_decision_redirects_with_consent_required(auth_client, application):
    query = redirect_query(screen_for(auth_client, application, prompt="none")[0])
    assert query["error"] == "consent_required"
    assert query["state"] == "state-123"


def test_prompt_none_with_a_this_time_only_decision_is_consent_required(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid profile email", remember="once")
    assert (
        redirect_query(screen_for(auth_client, application, prompt="none")[0])["error"] == "consent_required"
    )


def test_prompt_none_with_a_covering_decision_issues_a_code_silently(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid profile email")
    response, verifier = screen_for(auth_client, application, prompt="none")
    assert token_for(auth_client, application, response, verifier)["access_token"]


def test_prompt_none_with_another_value_is_an_invalid_request(auth_client, application):
    query = redirect_query(screen_for(auth_client, application, prompt="none consent")[0])
    assert query["error"] == "invalid_request"


# --- prompt=login and max_age ------------------------------------------------------------------


def test_prompt_login_signs_out_and_sends_to_sign_in_for_the_same_request(auth_client, application):
    response, _ = screen_for(auth_client, application, prompt="login")
    next_url = login_next(response)
    assert next_url == response.wsgi_request.get_full_path()
    assert "_auth_user_id" not in auth_client.session


def test_signing_in_again_satisfies_prompt_login(auth_client, application):
    response, _ = screen_for(auth_client, application, prompt="login")
    next_url = login_next(response)
    signed_in = sign_in(auth_client, next_url)
    assert signed_in["Location"] == next_url
    assert auth_client.get(next_url).status_code == 200


def test_prompt_login_asks_again_on_a_later_request(auth_client, application):
    next_url = login_next(screen_for(auth_client, application, prompt="login")[0])
    sign_in(auth_client, next_url)
    assert auth_client.get(next_url).status_code == 200
    assert login_next(auth_client.get(next_url))


def test_real_sign_in_records_the_auth_time_in_the_session(client, user):
    before = int(time.time())
    assert sign_in(client, "/dashboard/").status_code == 302
    assert before <= client.session[AUTH_TIME_SESSION_KEY] <= int(time.time())


def test_max_age_older_than_the_sign_in_forces_a_fresh_sign_in(auth_client, application):
    set_auth_time(auth_client, 600)
    next_url = login_next(screen_for(auth_client, application, max_age="300")[0])
    sign_in(auth_client, next_url)
    assert auth_client.get(next_url).status_code == 200


def test_max_age_within_the_sign_in_shows_the_screen(auth_client, application):
    set_auth_time(auth_client, 60)
    assert screen_for(auth_client, application, max_age="300")[0].status_code == 200


def test_max_age_zero_after_signing_in_for_it_does_not_loop(auth_client, application, time_machine):
    time_machine.move_to(time.time(), tick=False)
    next_url = login_next(screen_for(auth_client, application, max_age="0")[0])
    sign_in(auth_client, next_url)
    time_machine.shift(1.1)  # the sign-in is now older than max_age=0 allows
    assert auth_client.get(next_url).status_code == 200


def test_max_age_with_prompt_none_and_a_stale_sign_in_is_login_required(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid profile email")
    set_auth_time(auth_client, 600)
    query = redirect_query(screen_for(auth_client, application, max_age="300", prompt="none")[0])
    assert query["error"] == "login_required"


def test_invalid_max_age_is_an_invalid_request(auth_client, application):
    query = redirect_query(screen_for(auth_client, application, max_age="soon")[0])
    assert query["error"] == "invalid_request"
    assert "max_age" in query["error_description"]


def test_signed_out_user_is_sent_to_sign_in_and_told_why(client, user, application):
    response, _ = screen_for(client, application)
    next_url = login_next(response)
    assertContains(client.get(response["Location"]), "Sign in to continue to Photo Printer.")
    sign_in(client, next_url)
    assert client.get(next_url).status_code == 200


# --- Authorization requests by POST (OIDC Core 3.1.2.1) ----------------------------------------


def test_authorization_request_by_post_works_like_a_get(auth_client, application):
    verifier, challenge = pkce_pair()
    params = authorize_params(application, scope="openid profile", challenge=challenge)
    response = auth_client.post(AUTHORIZE, params)
    assert response.status_code == 303
    location = urlparse(response["Location"])
    assert location.path == AUTHORIZE
    assert {k: v[0] for k, v in parse_qs(location.query).items()} == params
    screen = auth_client.get(response["Location"])
    assert screen.status_code == 200
    assert (
        token_for(auth_client, application, submit(auth_client, screen), verifier)["scope"]
        == "openid profile"
    )


def test_cross_site_authorization_request_by_post_needs_no_csrf_token(user, application):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _, challenge = pkce_pair()
    response = browser.post(AUTHORIZE, authorize_params(application, scope="openid", challenge=challenge))
    assert response.status_code == 303
    assert browser.get(response["Location"]).status_code == 200


def test_prompt_none_by_post_is_answered_too(client, application):
    _, challenge = pkce_pair()
    response = client.post(
        AUTHORIZE, authorize_params(application, scope="openid", challenge=challenge, prompt="none")
    )
    assert redirect_query(client.get(response["Location"]))["error"] == "login_required"


# --- PKCE before the screen --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": None},
    ],
    ids=["plain", "missing", "method-missing"],
)
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_pkce_other_than_s256_is_refused_before_the_screen(client, user, application, change, signed_in):
    if signed_in:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _, challenge = pkce_pair()
    params = {
        k: v
        for k, v in {**authorize_params(application, scope="openid", challenge=challenge), **change}.items()
        if v
    }
    query = redirect_query(client.get(AUTHORIZE, params))
    assert query["error"] == "invalid_request"
    assert query["state"] == "state-123"
    assert not Consent.objects.exists()


def test_plain_pkce_with_an_unregistered_redirect_uri_gets_an_error_page(auth_client, application):
    response, _ = screen_for(
        auth_client, application, code_challenge_method="plain", redirect_uri="https://evil.example.com/cb"
    )
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_a_request_without_redirect_uri_gets_an_error_page_not_a_code(client, user, application, signed_in):
    if signed_in:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        Consent.objects.create(user=user, application=application, scope="openid profile email")
    params = {
        k: v for k, v in authorize_params(application, scope="openid", challenge=pkce_pair()[1]).items()
    }
    del params["redirect_uri"]
    response = client.get(AUTHORIZE, params)
    assert response.status_code == 400
    assert "Location" not in response
    assert not Grant.objects.exists()


# --- Errors by redirect (RFC 6749 4.1.2.1), for loopback clients too ---------------------------

LOOPBACK = "http://127.0.0.1:8765/callback"


@pytest.fixture
def loopback_app(developer):
    """A native app with an http loopback redirect URI (RFC 8252 7.3), like the demo client."""
    return make_client(
        developer,
        name="Desktop Notes",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        secret=None,
        redirect_uris=LOOPBACK,
        allowed_scopes=["openid", "profile"],
    )


def loopback_error(client: Client, application, **change) -> dict:
    """GET an authorization request for `application` changed by `change` (None drops a
    parameter); return the query of the error redirect to its loopback URI."""
    _, challenge = pkce_pair()
    params = {**authorize_params(application, scope="openid", challenge=challenge), "redirect_uri": LOOPBACK}
    params = {k: v for k, v in {**params, **change}.items() if v is not None}
    response = client.get(AUTHORIZE, params)
    assert response.status_code == 302, response.content[:400]
    assert response["Location"].startswith(LOOPBACK + "?"), response["Location"]
    query = {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}
    assert query["state"] == "state-123"
    assert query["iss"]
    return query


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"scope": "openid bogus"}, "invalid_scope"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"claims": "{bad"}, "invalid_request"),
    ],
    ids=["scope", "pkce", "token", "id_token", "hybrid", "no-response-type", "prompt", "none", "claims"],
)
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_errors_go_back_by_redirect_to_a_loopback_uri(client, user, loopback_app, change, error, signed_in):
    if signed_in and change.get("prompt") != "none":
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert loopback_error(client, loopback_app, **change)["error"] == error


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code token", "none"])
def test_other_response_types_are_unsupported_not_unauthorized(auth_client, application, response_type):
    response, _ = screen_for(auth_client, application, response_type=response_type)
    assert redirect_query(response)["error"] == "unsupported_response_type"


@pytest.mark.parametrize(
    "claims", ['{"userinfo": {"email": null}}', '{"id_token": {"acr": {"essential": true}}}']
)
def test_the_claims_parameter_is_refused_as_discovery_says(client, user, loopback_app, claims):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/o/.well-known/openid-configuration").json()["claims_parameter_supported"] is False
    error = loopback_error(client, loopback_app, claims=claims)
    assert error["error"] == "invalid_request"
    assert error["error_description"].startswith("The claims parameter is not supported")


def test_malformed_claims_with_an_unregistered_redirect_uri_gets_an_error_page(auth_client, application):
    response, _ = screen_for(auth_client, application, claims="{bad", redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert "Location" not in response


def test_malformed_claims_for_an_unknown_client_gets_an_error_page(auth_client, application):
    response, _ = screen_for(auth_client, application, claims="{bad", client_id="nope")
    assert response.status_code == 400
    assert "Location" not in response


# --- Parameters Gatehouse does not support -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://evil.example/r"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"response_mode": "form_post"}, "invalid_request"),
        ({"response_mode": "bogus"}, "invalid_request"),
        ({"prompt": "create"}, "invalid_request"),
    ],
    ids=["request", "request_uri", "fragment", "form_post", "bogus-mode", "prompt-create"],
)
def test_unsupported_parameters_are_refused_by_redirect(auth_client, application, change, error):
    response, _ = screen_for(auth_client, application, **change)
    assert "#" not in response["Location"]
    assert redirect_query(response)["error"] == error
    assert not Consent.objects.exists()


def test_response_mode_query_is_accepted(auth_client, application):
    response, _ = screen_for(auth_client, application, response_mode="query")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name", ["code_challenge", "code_challenge_method", "nonce", "prompt", "max_age", "claims", "login_hint"]
)
def test_repeated_parameter_is_an_invalid_request(auth_client, application, name):
    _, challenge = pkce_pair()
    values = {
        "code_challenge": [challenge, pkce_pair()[1]],
        "code_challenge_method": ["S256", "S256"],
        "max_age": ["60", "0"],
        "claims": ['{"userinfo": {}}', '{"id_token": {}}'],
        "prompt": ["consent", "login"],
    }.get(name, ["a", "b"])
    params = {**authorize_params(application, scope="openid", challenge=challenge), name: values}
    query = redirect_query(auth_client.get(AUTHORIZE, params))
    assert query["error"] == "invalid_request"
    assert name in query["error_description"]


def test_repeated_resource_is_allowed(auth_client, application, developer):
    register_resource_server(developer, PHOTOS)
    register_resource_server(developer, FILES)
    response, _ = screen_for(auth_client, application, resource=[PHOTOS, FILES])
    assert response.status_code == 200


@pytest.mark.parametrize(
    "challenge",
    ["a" * 42, "a" * 44, "a" * 128, "a" * 42 + "=", "a" * 42 + "+", "a" * 42 + "/"],
    ids=["short", "long", "max-verifier-length", "padded", "plus", "slash"],
)
def test_s256_code_challenge_must_be_43_base64url_characters(auth_client, application, challenge):
    query = redirect_query(screen_for(auth_client, application, code_challenge=challenge)[0])
    assert query["error"] == "invalid_request"
    assert query["error_description"].startswith("code_challenge must be 43 base64url characters")
    assert not Consent.objects.exists()


# --- HEAD never issues a code ------------------------------------------------------------------


def test_head_does_not_issue_a_code(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid", remember="forever")
    _, challenge = pkce_pair()
    params = authorize_params(application, scope="openid", challenge=challenge)
    response = auth_client.head(AUTHORIZE, params)
    assert response.status_code == 405
    assert "Location" not in response
    assert not Grant.objects.exists()
    assert redirect_query(auth_client.get(AUTHORIZE, params))["code"]
    assert Grant.objects.count() == 1


def test_prompt_create_signed_out_is_refused_by_redirect_too(client, application):
    query = redirect_query(screen_for(client, application, prompt="create")[0])
    assert query["error"] == "invalid_request" and query["state"] == "state-123" and query["iss"]

"""The authorization endpoint where stock DOT falls short: prompt, max_age, POST, PKCE, errors."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.oauth.consent import AUTH_TIME_SESSION_KEY
from apps.oauth.models import Consent
from tests.conftest import PASSWORD
from tests.oauth.consent_support import AUTHORIZE, redirect_query, screen_for, submit, token_for
from tests.oauth_flow import authorize_params, pkce_pair


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


def test_max_age_zero_after_signing_in_for_it_does_not_loop(auth_client, application):
    next_url = login_next(screen_for(auth_client, application, max_age="0")[0])
    sign_in(auth_client, next_url)
    time.sleep(1.1)
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

"""Every error of the token endpoint is RFC 6749 5.2 JSON, 4xx, `no-store`; nothing is a 500."""

import base64
import json

import pytest
from django.urls import reverse

from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, FORM, basic_auth, form_post, make_client, token_request

pytestmark = pytest.mark.django_db

TOKEN_URL = "/o/token/"


def assert_oauth_error(response, error: str, status: int = 400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == error


def test_get_is_refused_with_json(client):
    response = client.get(TOKEN_URL)
    assert_oauth_error(response, "invalid_request", 405)
    assert response["Allow"] == "POST"


def test_missing_grant_type_is_invalid_request(client, application):
    assert_oauth_error(token_request(client, {"client_id": application.client_id}), "invalid_request")


def test_unknown_grant_type_is_unsupported(client, application):
    response = token_request(client, {"grant_type": "openid", **basic_auth_body(application)})
    assert_oauth_error(response, "unsupported_grant_type")


def test_password_grant_does_not_exist(client, application, user):
    response = token_request(
        client, {"grant_type": "password", "username": user.email, "password": "a-long-test-password-42"}
    )
    assert_oauth_error(response, "unsupported_grant_type")


def test_password_grant_tells_nothing_even_to_an_app_registered_for_it(client, developer, user):
    legacy = make_client(developer, name="Legacy", grant_types=[Application.GRANT_PASSWORD])
    auth = basic_auth(legacy.client_id, CLIENT_SECRET)
    right = token_request(
        client, {"grant_type": "password", "username": "ada", "password": "a-long-test-password-42"}, **auth
    )
    wrong = token_request(client, {"grant_type": "password", "username": "ada", "password": "wrong"}, **auth)
    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json()


def test_validator_never_accepts_a_password(user):
    from apps.oauth.validators import GatehouseValidator

    assert GatehouseValidator().validate_user("ada", "a-long-test-password-42", None, None) is False


def test_repeated_parameter_is_invalid_request(client, application):
    body = [("grant_type", "client_credentials"), ("grant_type", "authorization_code")]
    response = form_post(client, TOKEN_URL, body, **basic_auth(application.client_id, CLIENT_SECRET))
    assert_oauth_error(response, "invalid_request")
    assert "grant_type" in response.json()["error_description"]


def test_query_parameters_are_refused(client, application):
    response = client.post(f"{TOKEN_URL}?grant_type=client_credentials", "", content_type=FORM)
    assert_oauth_error(response, "invalid_request")


def test_json_body_is_refused(client, application):
    body = json.dumps({"grant_type": "client_credentials", "client_id": application.client_id})
    assert_oauth_error(client.post(TOKEN_URL, body, content_type="application/json"), "invalid_request")


def test_malformed_form_body_is_a_client_error(client, application):
    response = client.post(TOKEN_URL, b"grant_type=%zz&code=%FF%FE&=&&client_id", content_type=FORM)
    assert_oauth_error(response, "unsupported_grant_type")  # "%zz" stays "%zz": no grant type of ours


def test_nul_byte_in_a_parameter_is_refused(client, application):
    response = token_request(
        client, {"grant_type": "authorization_code", "code": "abc\x00def", **basic_auth_body(application)}
    )
    assert_oauth_error(response, "invalid_request")


def test_wrong_secret_in_basic_auth_is_401_with_a_basic_challenge(client, application):
    response = token_request(
        client, {"grant_type": "client_credentials"}, **basic_auth(application.client_id, "nope")
    )
    assert_oauth_error(response, "invalid_client", 401)
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_undecodable_basic_credentials_are_401_with_a_basic_challenge(client):
    response = token_request(
        client, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION="Basic !!!not-base64!!!"
    )
    assert_oauth_error(response, "invalid_client", 401)
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_basic_credentials_without_a_colon_are_401(client):
    header = "Basic " + base64.b64encode(b"no-colon-here").decode()
    response = token_request(client, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header)
    assert_oauth_error(response, "invalid_client", 401)


def test_lowercase_basic_scheme_is_accepted(client, developer):
    service_app = make_client(developer, name="M", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    header = basic_auth(service_app.client_id, CLIENT_SECRET)["HTTP_AUTHORIZATION"].replace("Basic", "basic")
    response = token_request(client, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header)
    assert response.status_code == 200, response.content


def test_wrong_secret_in_the_body_is_401(client, application):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": "nope"},
    )
    assert_oauth_error(response, "invalid_client", 401)


def test_unknown_client_is_401(client, db):
    response = token_request(
        client, {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    )
    assert_oauth_error(response, "invalid_client", 401)


def test_two_client_authentication_methods_are_refused(client, application):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "client_secret": CLIENT_SECRET},
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert_oauth_error(response, "invalid_request")


def test_body_client_id_must_match_the_basic_one(client, application, developer):
    other = make_client(developer, name="Other", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    response = token_request(
        client,
        {"grant_type": "client_credentials", "client_id": other.client_id},
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert_oauth_error(response, "invalid_client", 401)


def test_unknown_authorization_code_is_invalid_grant(client, application):
    response = token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": "made-up",
            "code_verifier": "x" * 43,
            **basic_auth_body(application),
        },
    )
    assert_oauth_error(response, "invalid_grant")


def test_missing_refresh_token_is_invalid_request(client, application):
    response = token_request(client, {"grant_type": "refresh_token", **basic_auth_body(application)})
    assert_oauth_error(response, "invalid_request")


def test_unknown_refresh_token_is_invalid_grant(client, application):
    response = token_request(
        client, {"grant_type": "refresh_token", "refresh_token": "nope", **basic_auth_body(application)}
    )
    assert_oauth_error(response, "invalid_grant")


def test_oversized_body_is_a_client_error(client, application, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = token_request(client, {"grant_type": "client_credentials", "padding": "x" * 5000})
    assert_oauth_error(response, "invalid_request")


def test_multipart_body_works_like_a_form(client, developer):
    service_app = make_client(developer, name="M", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    response = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, **basic_auth(service_app.client_id, CLIENT_SECRET)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"grant_type=authorization_code",
        b"grant_type=authorization_code&code=x",
        b"grant_type=refresh_token&refresh_token=",
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=zzz&client_id=nobody",
        b"grant_type=client_credentials&scope=%00",
        b"grant_type=authorization_code&code=x&redirect_uri=not a uri&code_verifier=%F0%9F%92%A9",
        "grant_type=client_credentials&client_id=\u00e9&client_secret=\u2603".encode(),
    ],
)
def test_no_request_body_produces_a_server_error_only_an_oauth_error(client, application, body):
    response = client.post(TOKEN_URL, body, content_type=FORM)
    assert 400 <= response.status_code < 500, response.content
    assert response["Cache-Control"] == "no-store"
    assert "error" in response.json()


def test_token_endpoint_is_reversible_under_dot_name():
    assert reverse("oauth2_provider:token") == TOKEN_URL


def basic_auth_body(application) -> dict:
    return {"client_id": application.client_id, "client_secret": CLIENT_SECRET}

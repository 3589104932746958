"""A NUL character anywhere a lookup could use it is a 400, never a database error (PostgreSQL
text can't hold NUL; CI runs this file on PostgreSQL too)."""

import base64

import pytest
from django.test import Client

from tests.oauth_flow import form_post

pytestmark = pytest.mark.django_db

SPA = "https://spa.example.com"


def basic(client_id: str, secret: str = "s") -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    "path", ["/o/token/", "/o/revoke_token/", "/o/introspect/", "/o/device-authorization/"]
)
def test_a_nul_in_a_basic_client_id_is_a_json_400(client, path):
    response = form_post(
        client, path, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic("x\x00y")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/"])
def test_a_nul_in_a_body_client_id_with_an_origin_is_a_json_400(client, path):
    data = {"grant_type": "client_credentials", "token": "t", "client_id": "x\x00y"}
    response = form_post(client, path, data, HTTP_ORIGIN=SPA)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_nul_in_an_authorization_request_is_a_400(client, user, signed_in):
    if signed_in:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/o/authorize/", {"client_id": "x\x00y", "response_type": "code"})
    assert response.status_code == 400


def test_a_nul_in_a_page_query_or_form_is_a_400(client, user):
    assert client.get("/accounts/login/", {"next": "/\x00"}).status_code == 400
    assert client.post("/accounts/login/", {"login": "a\x00@example.com", "password": "x"}).status_code == 400


def test_a_nul_in_the_session_cookie_is_a_400():
    browser = Client()
    browser.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert browser.get("/dashboard/").status_code == 400


def test_ordinary_requests_pass(client):
    assert client.get("/").status_code == 200
    assert client.get("/accounts/login/", {"next": "/dashboard/"}).status_code == 200

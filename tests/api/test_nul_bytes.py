"""A NUL byte in any value the API looks up is a clean 4xx: PostgreSQL text cannot hold one,
and a query with it raises DataError (a 500) where SQLite just finds nothing."""

import pytest
from django.urls import reverse

from tests.api.conftest import bearer
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post

pytestmark = pytest.mark.django_db


def assert_refused(response) -> None:
    """apps.core.middleware.NulCharacterMiddleware answers before any lookup."""
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "NUL" in response.json()["error_description"]


@pytest.mark.parametrize("client_id", ["%00", "photo%00printer"])
def test_nul_byte_in_the_connected_app_path_is_refused(client, issue, client_id):
    assert_refused(
        client.delete(f"/api/connected-apps/{client_id}/", headers=bearer(issue("write")["access_token"]))
    )


def test_an_escaped_nul_is_just_an_unknown_client_id(client, issue):
    response = client.delete("/api/connected-apps/%2500/", headers=bearer(issue("write")["access_token"]))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_nul_byte_in_an_unknown_api_path_is_refused(client):
    assert_refused(client.get("/api/%00/"))


@pytest.mark.parametrize("credential", ["abc\x00def", "gh_pat_\x00\x00\x00\x00\x00\x00\x00\x00_x"])
def test_nul_byte_in_a_bearer_credential_is_refused(client, credential):
    assert_refused(client.get("/api/me/", headers=bearer(credential)))


def test_nul_byte_in_a_query_string_is_refused(client, issue):
    assert_refused(
        client.get(
            "/api/connected-apps/?client_id=%00&page=%00", headers=bearer(issue("read")["access_token"])
        )
    )


def test_nul_byte_in_the_refresh_alias_is_an_oauth_error(client, application):
    in_body = form_post(
        client,
        "/api/token/refresh/",
        {"refresh_token": "a\x00b", "client_id": "x\x00y", "client_secret": CLIENT_SECRET},
    )
    assert in_body.status_code == 400 and in_body.json()["error"] == "invalid_request"
    in_basic = form_post(
        client, "/api/token/refresh/", {"refresh_token": "a\x00b"}, **basic_auth("x\x00y", CLIENT_SECRET)
    )
    assert in_basic.status_code == 400 and in_basic.json()["error"] == "invalid_request"
    refresh_token = form_post(
        client,
        reverse("api:token-refresh"),
        {"refresh_token": "a\x00b"},
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert refresh_token.status_code == 400 and refresh_token.json()["error"] == "invalid_request"

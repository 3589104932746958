"""Nothing a client sends to the token, device, introspection or revocation endpoint is a 500."""

import base64
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, FORM, basic_auth, make_client

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/o/token/", "/o/device-authorization/", "/o/introspect/", "/o/revoke_token/", "/o/par/"]
NAMES = [
    "grant_type",
    "code",
    "client_id",
    "client_secret",
    "refresh_token",
    "device_code",
    "token",
    "token_type_hint",
    "scope",
    "redirect_uri",
    "code_verifier",
    "resource",
]
GRANT_TYPES = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "password",
    "implicit",
    "openid",
]

values = st.one_of(
    st.sampled_from(GRANT_TYPES), st.text(max_size=40), st.sampled_from(["", "\x00", "%", "a b", "☃"])
)
form_bodies = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=6).map(
    lambda pairs: urlencode(pairs).encode()
)
raw_bodies = st.binary(max_size=200)
content_types = st.sampled_from(
    [FORM, "application/json", "text/plain", "multipart/form-data", f"{FORM}; charset=latin-1"]
)
authorizations = st.one_of(
    st.none(),
    st.sampled_from(
        ["Basic", "Basic ", "Basic ===", "Bearer", "Bearer x y", "basic Zm9vOmJhcg==", "Digest x"]
    ),
    st.binary(max_size=30).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    st.text(max_size=20).map(lambda t: "Basic " + base64.b64encode(f"{t}:{t}".encode()).decode()),
)
queries = st.one_of(st.just(""), st.text(max_size=20).map(lambda t: "?" + quote(t, safe="=&%")))


@pytest.fixture
def known_client(developer):
    """A real client, so some generated requests authenticate and get further in."""
    return make_client(
        developer,
        name="Fuzz target",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
    )


@pytest.mark.parametrize("url", ENDPOINTS)
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(form_bodies, raw_bodies),
    content_type=content_types,
    authorization=authorizations,
    query=queries,
    use_known_client=st.booleans(),
)
def test_no_request_is_a_server_error(
    client, known_client, url, body, content_type, authorization, query, use_known_client
):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    if use_known_client:
        headers = basic_auth(known_client.client_id, CLIENT_SECRET)
    response = client.generic("POST", url + query, body, content_type=content_type, **headers)
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response["Cache-Control"] == "no-store"
        assert "error" in response.json()

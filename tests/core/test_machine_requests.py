"""Machine requests (the API, the OAuth protocol endpoints) skip the middleware people need."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

MACHINE_REQUESTS = [
    ("get", "/api/me/"),
    ("get", "/api/schema/"),
    ("get", "/api/no-such-endpoint/"),
    ("post", "/o/token/"),
    ("post", "/o/revoke_token/"),
    ("post", "/o/introspect/"),
    ("get", "/o/userinfo/"),
    ("post", "/o/device-authorization/"),
    ("post", "/o/par/"),
    ("get", "/o/.well-known/openid-configuration"),
    ("get", "/o/.well-known/jwks.json"),
    ("get", "/.well-known/oauth-authorization-server/o"),
]
PEOPLE_PAGES = ["/o/authorize/", "/o/logout/", "/o/device/", "/api/docs/"]


@pytest.mark.parametrize(("method", "path"), MACHINE_REQUESTS)
def test_a_machine_request_has_no_session_even_with_a_session_cookie(auth_client, access_token, method, path):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(auth_client, method)(path, headers=bearer(access_token))
    assert response.status_code < 500
    assert not response.cookies, response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert not hasattr(response.wsgi_request, "session")
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_an_api_answer_is_never_cached(client, access_token):
    response = client.get("/api/me/", headers=bearer(access_token))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", PEOPLE_PAGES)
def test_people_pages_under_machine_prefixes_keep_sessions_and_csrf(auth_client, path):
    response = auth_client.get(path)
    assert response.wsgi_request.session.session_key
    assert response.wsgi_request.user.is_authenticated
    assert "CSRF_COOKIE" in response.wsgi_request.META
    assert "Cookie" in response["Vary"]

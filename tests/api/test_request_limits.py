"""Bodies past Django's request limits get the API's JSON error shape, not Django's HTML 400."""

from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
TOO_BIG = 3 * 1024 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE is 2 MB


def patch_profile(client, body: bytes | str, content_type: str, credential: str):
    return client.patch("/api/profile/", body, content_type=content_type, headers=bearer(credential))


def test_too_big_multipart_body_is_a_json_413(client, api_key):
    body = encode_multipart(BOUNDARY, {"bio": "x" * TOO_BIG})
    response = patch_profile(client, body, MULTIPART_CONTENT, api_key(["write_profile"]))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "request_too_large",
        "error_description": "The request body is too large.",
    }


def test_too_big_form_body_is_a_json_413(client, issue):
    # DOT reads a form body for RFC 6750 form-encoded tokens, before the view parses it.
    body = urlencode({"bio": "x" * TOO_BIG})
    response = patch_profile(
        client, body, "application/x-www-form-urlencoded", issue("write_profile")["access_token"]
    )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


@pytest.mark.parametrize("content_type", [MULTIPART_CONTENT, "application/x-www-form-urlencoded"])
def test_too_many_fields_is_a_json_400(client, api_key, settings, content_type):
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    body = encode_multipart(BOUNDARY, fields) if content_type == MULTIPART_CONTENT else urlencode(fields)
    response = patch_profile(client, body, content_type, api_key(["write_profile"]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["error_description"]

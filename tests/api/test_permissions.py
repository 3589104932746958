"""The permission classes: exact scopes, read/write by method, `admin` only for staff."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from apps.api.base import APIView
from apps.apikeys.services import create_api_key
from tests.api.conftest import bearer


class AdminProbe(APIView):
    """A stand-in for an admin operation (no endpoint of the API needs `admin` yet)."""

    required_scopes = {"read": ["read", "admin"], "write": ["write", "admin"]}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True})


def probe(method: str, credential: str):
    request = getattr(APIRequestFactory(), method)("/probe/", HTTP_AUTHORIZATION=f"Bearer {credential}")
    response = AdminProbe.as_view()(request)
    response.render()
    return response.status_code, json.loads(response.content or b"null")


def test_admin_scope_on_a_staff_users_token_is_allowed(client, user, admin_app, issue):
    user.is_staff = True
    user.save()
    token = issue("read admin", app=admin_app)
    assert "admin" in token["scope"].split()
    assert probe("get", token["access_token"])[0] == 200


def test_admin_scope_on_a_non_staff_users_token_is_403(client, admin_app, issue):
    token = issue("read admin", app=admin_app)
    assert "admin" in token["scope"].split()
    assert probe("get", token["access_token"]) == (
        403,
        {
            "error": "forbidden",
            "error_description": "The admin scope works only for staff users.",
        },
    )


def test_admin_scope_on_a_client_credentials_token_is_403(service_token):
    status, body = probe("get", service_token("read admin"))
    assert status == 403
    assert body["error"] == "forbidden"


def test_write_method_needs_the_write_scope(user, api_key):
    user.is_staff = True
    user.save()
    key = api_key(["read", "admin"])
    assert probe("get", key)[0] == 200
    status, body = probe("post", key)
    assert status == 403
    assert body["scope"] == "write admin"


def test_admin_key_stops_working_when_the_user_is_no_longer_staff(user, api_key):
    user.is_staff = True
    user.save()
    key = api_key(["read", "admin"])
    user.is_staff = False
    user.save()
    assert probe("get", key)[0] == 403


def test_non_staff_user_cannot_create_an_admin_key(user):
    with pytest.raises(ValidationError):
        create_api_key(user=user, name="sneaky", scopes=["read", "admin"])


def test_client_credentials_token_cannot_use_an_endpoint_that_acts_for_a_user(client, service_token):
    response = client.get("/api/me/", headers=bearer(service_token("read")))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_client_credentials_token_can_read_its_own_info(client, service_token, service_app):
    response = client.get("/api/token/info/", headers=bearer(service_token("read")))
    assert response.status_code == 200
    body = response.json()
    assert body["user"] is None
    assert body["application"] == {"client_id": service_app.client_id, "name": "Nightly Report"}


def test_a_view_without_required_scopes_is_a_configuration_error(api_key):
    class Unscoped(APIView):
        def get(self, request):
            return Response({"ok": True})

    request = APIRequestFactory().get("/probe/", HTTP_AUTHORIZATION=f"Bearer {api_key(['read'])}")
    with pytest.raises(ImproperlyConfigured, match="required_scopes"):
        Unscoped.as_view()(request)

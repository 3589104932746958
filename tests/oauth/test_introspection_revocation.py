"""Introspection (RFC 7662) for resource servers only, and revocation (RFC 7009)."""

import pytest
from django.urls import reverse
from oauth2_provider.models import RefreshToken

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.oauth_flow import (
    CLIENT_SECRET,
    basic_auth,
    form_post,
    introspect,
    make_client,
    refresh,
    revoke,
    token_request,
)

pytestmark = pytest.mark.django_db

INTROSPECT_URL = "/o/introspect/"


def test_resource_server_introspects_a_live_token(client, user, application, tokens, introspecting_app):
    response = introspect(client, tokens["access_token"], client_id=introspecting_app.client_id)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == application.client_id
    assert body["sub"] == str(user.pk) and body["username"] == "ada"
    assert set(body["scope"].split()) == {"openid", "profile", "email", "read"}
    assert body["token_type"] == "Bearer" and body["iss"] == "http://testserver/o"
    assert body["exp"] > body["iat"]


def test_ordinary_app_credentials_cannot_introspect(client, application, tokens):
    response = introspect(client, tokens["access_token"], client_id=application.client_id)
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"
    assert "active" not in response.json()


def test_introspection_without_credentials_is_401_with_a_basic_challenge(client, tokens):
    response = form_post(client, INTROSPECT_URL, {"token": tokens["access_token"]})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_introspection_with_a_wrong_secret_is_401(client, tokens, introspecting_app):
    response = introspect(
        client, tokens["access_token"], client_id=introspecting_app.client_id, secret="nope"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_a_token_with_the_introspection_scope_may_introspect(client, developer, tokens):
    service = make_client(
        developer,
        name="Gateway",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["introspection"],
    )
    bearer = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "introspection"},
        **basic_auth(service.client_id, CLIENT_SECRET),
    ).json()["access_token"]
    response = form_post(
        client, INTROSPECT_URL, {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )
    assert response.status_code == 200 and response.json()["active"] is True


def test_a_token_without_the_introspection_scope_may_not(client, tokens):
    response = form_post(
        client,
        INTROSPECT_URL,
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_unknown_token_is_just_inactive(client, introspecting_app):
    response = introspect(client, "not-a-token", client_id=introspecting_app.client_id)
    assert response.status_code == 200 and response.json() == {"active": False}


def test_introspection_without_a_token_is_invalid_request(client, introspecting_app):
    response = form_post(client, INTROSPECT_URL, {}, **basic_auth(introspecting_app.client_id, CLIENT_SECRET))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_introspection_by_get_is_refused(client, tokens, introspecting_app):
    response = client.get(
        INTROSPECT_URL,
        {"token": tokens["access_token"]},
        **basic_auth(introspecting_app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 405 and response.json()["error"] == "invalid_request"


def test_revoking_an_access_token_makes_it_inactive(client, application, tokens, introspecting_app):
    response = revoke(client, application, tokens["access_token"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert introspect(client, tokens["access_token"], client_id=introspecting_app.client_id).json() == {
        "active": False
    }


def test_revoking_a_refresh_token_stops_refreshes(client, application, tokens):
    assert (
        revoke(client, application, tokens["refresh_token"], token_type_hint="refresh_token").status_code
        == 200
    )
    assert refresh(client, application, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_is_an_audit_event_without_the_token(client, user, application, tokens):
    revoke(client, application, tokens["access_token"])
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED)
    assert event.user == user
    assert event.data == {
        "client_id": application.client_id,
        "token_type": "access_token",
        "via": "revocation_endpoint",
    }
    assert tokens["access_token"] not in str(event.data)


def test_a_client_cannot_revoke_another_clients_token(
    client, application, tokens, developer, introspecting_app
):
    other = make_client(developer, name="Other", grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    assert (
        revoke(client, other, tokens["access_token"]).status_code == 200
    )  # RFC 7009 2.2: no hint either way
    assert (
        introspect(client, tokens["access_token"], client_id=introspecting_app.client_id).json()["active"]
        is True
    )
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REVOKED).exists()


def test_revocation_with_a_wrong_secret_is_401_with_a_basic_challenge(client, application, tokens):
    response = form_post(
        client,
        reverse("oauth2_provider:revoke-token"),
        {"token": tokens["access_token"]},
        **basic_auth(application.client_id, "nope"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_revocation_without_a_token_is_invalid_request(client, application):
    response = revoke(client, application, "")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_revocation_with_a_repeated_token_is_invalid_request(client, application, tokens):
    body = [
        ("token", tokens["access_token"]),
        ("token", tokens["refresh_token"]),
        ("client_id", application.client_id),
        ("client_secret", CLIENT_SECRET),
    ]
    response = form_post(client, reverse("oauth2_provider:revoke-token"), body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_revocation_by_get_is_refused_with_json(client):
    response = client.get(reverse("oauth2_provider:revoke-token"))
    assert response.status_code == 405 and response.json()["error"] == "invalid_request"

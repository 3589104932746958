"""What each endpoint does, beyond who may call it (see test_credentials.py)."""

import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.accounts.models import Profile
from apps.apikeys.models import APIKey
from apps.audit.models import AuditEvent
from apps.oauth.models import Application, Consent
from apps.oauth.secrets import create_client_secret
from tests.api.conftest import bearer
from tests.oauth_flow import CLIENT_SECRET, REDIRECT_URI, basic_auth, form_post, obtain_tokens


def send_json(client, method: str, url: str, data, credential: str):
    body = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method)(url, body, content_type="application/json", headers=bearer(credential))


def refresh(
    client, application, refresh_token: str, *, secret: str = CLIENT_SECRET, url="/api/token/refresh/"
):
    return form_post(
        client, url, {"refresh_token": refresh_token}, **basic_auth(application.client_id, secret)
    )


def png(size: int = 64) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (size, size), "teal").save(data, "PNG")
    data.seek(0)
    data.name = "me.png"
    return data


def make_app(developer, name: str) -> Application:
    app = Application.objects.create(
        name=name,
        user=developer,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        redirect_uris=REDIRECT_URI,
        client_secret="",
        hash_client_secret=False,
        algorithm=Application.RS256_ALGORITHM,
        allowed_scopes=["openid", "read", "write"],
    )
    create_client_secret(application=app, value=CLIENT_SECRET)
    return app


# --- /api/me/ and /api/profile/ ----------------------------------------------------------------


def test_me_is_the_user_with_the_profile_nested(client, user, api_key):
    Profile.objects.for_user(user)
    Profile.objects.filter(user=user).update(bio="Analyst", website="https://ada.example.com")
    response = client.get("/api/me/", headers=bearer(api_key(["read"])))
    body = response.json()
    assert body["username"] == "ada"
    assert body["email"] == "ada@example.com"
    assert body["display_name"] == "Ada Lovelace"
    assert body["profile"]["bio"] == "Analyst"
    assert body["profile"]["website"] == "https://ada.example.com"


def test_profile_patch_changes_only_the_fields_sent(client, user, api_key):
    Profile.objects.for_user(user)
    Profile.objects.filter(user=user).update(bio="Analyst", website="https://ada.example.com")
    response = send_json(
        client, "patch", "/api/profile/", {"display_name": "  Countess  "}, api_key(["write_profile"])
    )
    assert response.status_code == 200
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.bio, profile.website) == (
        "Countess",
        "Analyst",
        "https://ada.example.com",
    )
    assert response.json()["display_name"] == "Countess"
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.PROFILE_UPDATED).exists()


def test_profile_put_empties_the_fields_left_out(client, user, api_key):
    Profile.objects.for_user(user)
    Profile.objects.filter(user=user).update(bio="Analyst", website="https://ada.example.com")
    response = send_json(client, "put", "/api/profile/", {"display_name": "Ada"}, api_key(["write_profile"]))
    assert response.status_code == 200
    assert response.json() | {"updated": None} == {
        "display_name": "Ada",
        "bio": "",
        "website": "",
        "language": "",
        "avatar": None,
        "updated": None,
    }


def test_profile_update_has_the_profile_forms_rules(client, user, api_key):
    # The page and the API share one validation (ProfileForm through update_profile).
    response = send_json(
        client,
        "patch",
        "/api/profile/",
        {"website": "javascript:alert(1)", "bio": "x" * 501},
        api_key(["write_profile"]),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["fields"]["website"] == ["Enter a web address like https://example.com."]
    assert "bio" in body["fields"]
    assert Profile.objects.for_user(user).website == ""


def test_profile_picture_is_uploaded_and_removed(client, user, api_key, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    key = api_key(["write_profile"])
    response = client.patch(
        "/api/profile/",
        encode_multipart(BOUNDARY, {"avatar": png()}),
        content_type=MULTIPART_CONTENT,
        headers=bearer(key),
    )
    assert response.status_code == 200, response.content
    assert response.json()["avatar"].startswith("http://testserver/media/avatars/")
    response = send_json(client, "patch", "/api/profile/", {"avatar": None}, key)
    assert response.json()["avatar"] is None
    assert not Profile.objects.get(user=user).avatar


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "{not json", "\x00"])
def test_profile_update_with_a_body_that_is_not_an_object_is_400(client, body, api_key):
    response = send_json(client, "patch", "/api/profile/", body, api_key(["write_profile"]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("value", [{"first": "Ada"}, ["Ada"], 42, None, True])
def test_profile_text_fields_must_be_text(client, user, api_key, value):
    response = send_json(
        client, "patch", "/api/profile/", {"display_name": value}, api_key(["write_profile"])
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"display_name": ["Send text."]}
    assert Profile.objects.for_user(user).display_name == ""


# --- /api/token/info/ and /api/token/revoke/ ----------------------------------------------------


def test_token_info_describes_the_access_token(client, issue, application):
    tokens = issue("read write")
    body = client.get("/api/token/info/", headers=bearer(tokens["access_token"])).json()
    assert body["type"] == "access_token"
    assert body["scopes"] == ["read", "write"]
    assert body["application"] == {"client_id": application.client_id, "name": "Photo Printer"}
    assert body["user"]["username"] == "ada"
    assert 3500 < body["expires_in"] <= 3600
    assert tokens["access_token"] not in json.dumps(body)


def test_token_info_describes_an_api_key(client, api_key):
    key = api_key(["read"], expires=timezone.now() + timedelta(days=30))
    body = client.get("/api/token/info/", headers=bearer(key)).json()
    assert body["type"] == "api_key"
    assert body["scope"] == "read"
    assert body["application"] is None
    assert body["expires_in"] > 29 * 86400


def test_token_revoke_revokes_the_access_and_refresh_token_through_dot(client, user, issue, application):
    tokens = issue("read")
    response = client.post("/api/token/revoke/", headers=bearer(tokens["access_token"]))
    assert response.status_code == 204
    assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 401
    # The refresh token went with it (the recipe deleted the access token and left this alive).
    assert refresh(client, application, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.TOKEN_REVOKED).exists()


def test_token_revoke_with_an_api_key_revokes_the_key(client, user, api_key):
    key = api_key(["read"])
    assert client.post("/api/token/revoke/", headers=bearer(key)).status_code == 204
    assert not APIKey.objects.filter(user=user).exists()
    assert client.get("/api/me/", headers=bearer(key)).status_code == 401
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.KEY_REVOKED).exists()


def test_token_revoke_is_post_only(client, issue):
    response = client.get("/api/token/revoke/", headers=bearer(issue("read")["access_token"]))
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


# --- /api/tokens/ and /api/tokens/revoke-all/ ---------------------------------------------------


def test_token_list_counts_grants_per_app_and_never_shows_a_token(
    client, user, other_user, application, issue
):
    first, second = issue("read"), issue("read write")
    issue("read", for_user=other_user)
    response = client.get("/api/tokens/", headers=bearer(second["access_token"]))
    assert response.status_code == 200
    [grant] = response.json()
    assert grant["application"] == {"client_id": application.client_id, "name": "Photo Printer"}
    assert grant["scopes"] == ["read", "write"]
    assert (grant["access_tokens"], grant["refresh_tokens"]) == (2, 2)
    for value in (
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    ):
        assert value not in response.content.decode()


@pytest.mark.parametrize("apps", [1, 4])
def test_token_list_queries_do_not_grow_with_apps(
    client, user, developer, api_key, apps, django_assert_max_num_queries
):
    for number in range(apps):
        obtain_tokens(client, user=user, application=make_app(developer, f"App {number}"), scope="read")
    key = api_key(["read"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/tokens/", headers=bearer(key))
    assert len(response.json()) == apps


def test_revoke_all_revokes_every_apps_tokens(client, user, developer, application, issue, api_key):
    other_app = make_app(developer, "Calendar")
    printer, calendar = issue("read"), issue("read", app=other_app)
    response = client.post("/api/tokens/revoke-all/", headers=bearer(api_key(["write"])))
    assert response.json() == {"revoked": 2}
    for tokens in (printer, calendar):
        assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 401
    assert not Consent.objects.filter(user=user).exists()


# --- /api/connected-apps/ ---------------------------------------------------------------------


def test_connected_apps_lists_what_the_user_granted(client, user, application, issue, api_key):
    issue("read read_profile")
    [app] = client.get("/api/connected-apps/", headers=bearer(api_key(["read"]))).json()
    assert app["application"] == {"client_id": application.client_id, "name": "Photo Printer"}
    assert app["scopes"] == ["read", "read_profile"]
    assert app["granted"]


@pytest.mark.parametrize("apps", [1, 4])
def test_connected_apps_queries_do_not_grow_with_apps(
    client, user, developer, api_key, apps, django_assert_max_num_queries
):
    for number in range(apps):
        obtain_tokens(client, user=user, application=make_app(developer, f"App {number}"), scope="read")
    key = api_key(["read"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/connected-apps/", headers=bearer(key))
    assert len(response.json()) == apps


def test_disconnecting_an_app_revokes_its_tokens(client, user, application, issue, api_key):
    tokens = issue("read")
    response = client.delete(
        f"/api/connected-apps/{application.client_id}/", headers=bearer(api_key(["write"]))
    )
    assert response.status_code == 204
    assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 401
    assert not Consent.objects.filter(user=user, application=application).exists()
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.ACCESS_REVOKED).exists()


def test_disconnecting_another_users_app_is_404(client, other_user, application, issue, api_key):
    tokens = issue("read", for_user=other_user)
    response = client.delete(
        f"/api/connected-apps/{application.client_id}/", headers=bearer(api_key(["write"]))
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 200


# --- /api/token/refresh/: the standard refresh grant under another name -------------------------


def test_refresh_rotates_the_refresh_token(client, issue, application):
    tokens = issue("read")
    response = refresh(client, application, tokens["refresh_token"])
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/me/", headers=bearer(fresh["access_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_family(client, issue, application):
    tokens = issue("read")
    fresh = refresh(client, application, tokens["refresh_token"]).json()
    replay = refresh(client, application, tokens["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(client, application, fresh["refresh_token"]).json()["error"] == "invalid_grant"
    assert client.get("/api/me/", headers=bearer(fresh["access_token"])).status_code == 401


@pytest.mark.parametrize(
    ("secret", "status", "error"),
    [("wrong-secret", 401, "invalid_client"), (CLIENT_SECRET, 400, "invalid_grant")],
)
def test_refresh_errors_are_those_of_the_token_endpoint(client, application, secret, status, error):
    ours = refresh(client, application, "not-a-refresh-token", secret=secret)
    standard = form_post(
        client,
        reverse("oauth2_provider:token"),
        {"grant_type": "refresh_token", "refresh_token": "not-a-refresh-token"},
        **basic_auth(application.client_id, secret),
    )
    assert (ours.status_code, ours.json()) == (standard.status_code, standard.json())
    assert (ours.status_code, ours.json()["error"]) == (status, error)


def test_refresh_accepts_no_other_grant(client, application):
    response = form_post(
        client,
        "/api/token/refresh/",
        {"grant_type": "client_credentials"},
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- Errors and bookkeeping ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nope/", "/api/me", "/api/connected-apps/a/b/"])
def test_unknown_api_path_is_a_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_token_use_marks_the_consent_used_at_most_once_a_minute(client, user, application, issue):
    tokens = issue("read")
    long_ago = timezone.now() - timedelta(minutes=5)
    Consent.objects.filter(user=user, application=application).update(last_used=long_ago)
    client.get("/api/me/", headers=bearer(tokens["access_token"]))
    first_use = Consent.objects.get(user=user, application=application).last_used
    assert first_use > long_ago
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 200
    assert not [q for q in queries.captured_queries if "oauth_consent" in q["sql"] and "UPDATE" in q["sql"]]
    assert Consent.objects.get(user=user, application=application).last_used == first_use


@pytest.mark.parametrize("value", [{}, 0, False, "", [], "abc", {"avatar-clear": "on"}])
def test_profile_picture_is_kept_unless_the_value_is_null_or_an_upload(
    client, user, api_key, settings, tmp_path, value
):
    settings.MEDIA_ROOT = tmp_path
    key = api_key(["write_profile"])
    uploaded = client.patch(
        "/api/profile/",
        encode_multipart(BOUNDARY, {"avatar": png()}),
        content_type=MULTIPART_CONTENT,
        headers=bearer(key),
    )
    assert uploaded.status_code == 200, uploaded.content
    body = value if value == {"avatar-clear": "on"} else {"avatar": value}
    response = send_json(client, "patch", "/api/profile/", body, key)
    if "avatar" in body:
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["avatar"]
    else:  # the page's clear checkbox means nothing to the API
        assert response.status_code == 200
    assert Profile.objects.get(user=user).avatar.name == uploaded.json()["avatar"].split("/media/")[1]


def test_profile_picture_as_a_form_field_instead_of_a_file_is_400(client, user, api_key):
    response = client.patch(
        "/api/profile/",
        encode_multipart(BOUNDARY, {"avatar": "abc", "bio": "Hi"}),
        content_type=MULTIPART_CONTENT,
        headers=bearer(api_key(["write_profile"])),
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["avatar"]
    assert Profile.objects.for_user(user).bio == ""

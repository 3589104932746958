"""Client secrets as hashed ClientSecret rows, and no token, code or secret in plaintext anywhere."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, get_device_grant_model, get_grant_model
from oauth2_provider.settings import oauth2_settings

from apps.oauth.management.commands import seed_demo
from apps.oauth.models import Application, ClientSecret
from apps.oauth.secrets import check_client_secret, create_client_secret, delete_client_secret
from tests.oauth_flow import (
    CLIENT_SECRET,
    approve,
    basic_auth,
    form_post,
    make_client,
    pkce_pair,
    refresh,
    token_request,
)

pytestmark = pytest.mark.django_db

DeviceGrant = get_device_grant_model()


def dump_database() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def client_credentials(client, app, secret: str):
    return token_request(client, {"grant_type": "client_credentials"}, **basic_auth(app.client_id, secret))


@pytest.fixture
def service_app(developer):
    return make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])


def test_no_issued_token_or_client_secret_is_in_a_database_dump(client, user, application, tokens, developer):
    rotated = refresh(client, application, tokens["refresh_token"]).json()
    issued = [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
    issued += [rotated["access_token"], rotated["refresh_token"], rotated["id_token"]]
    service_app = make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    issued.append(client_credentials(client, service_app, CLIENT_SECRET).json()["access_token"])
    tv = make_client(developer, name="TV", grant_types=[Application.GRANT_DEVICE_CODE], secret=None)
    device = form_post(
        client, reverse("oauth2_provider:device-authorization"), {"client_id": tv.client_id}
    ).json()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    confirm = client.post(reverse("oauth2_provider:device"), {"user_code": device["user_code"]})["Location"]
    client.post(confirm, {"action": "accept"})
    DeviceGrant.objects.update(last_checked=timezone.now() - timedelta(seconds=10))
    device_tokens = token_request(
        client,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": device["device_code"],
            "client_id": tv.client_id,
        },
    ).json()
    issued += [device_tokens["access_token"], device_tokens["refresh_token"]]
    _row, rotated_secret = create_client_secret(application=application)

    dump = dump_database()

    assert AccessToken.objects.count() >= 3 and RefreshToken.objects.count() >= 3
    for value in [*issued, CLIENT_SECRET, rotated_secret]:
        assert value not in dump


def test_token_storage_gate_is_on_and_token_columns_are_blank(client, tokens):
    assert oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE is True
    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}


def test_dot_application_secret_field_is_empty_and_unused(client, service_app):
    service_app.refresh_from_db()
    assert service_app.client_secret == ""
    service_app.client_secret = "dot-field-secret-" + "y" * 40
    service_app.hash_client_secret = True
    service_app.save()  # DOT hashes it; Gatehouse never reads it
    assert client_credentials(client, service_app, "dot-field-secret-" + "y" * 40).status_code == 401
    assert client_credentials(client, service_app, CLIENT_SECRET).status_code == 200


def test_created_secret_is_256_bits_and_stored_as_a_fast_hash(service_app):
    row, value = create_client_secret(application=service_app)
    assert len(value) >= 43  # 32 random bytes, base64url
    assert row.secret_hash.startswith("gatehouse_sha256$") and value not in row.secret_hash
    assert row.last_four == value[-4:]
    assert check_client_secret(application=service_app, value=value)


def test_any_live_secret_authenticates_so_rotation_needs_no_downtime(client, service_app):
    _new_row, new_value = create_client_secret(application=service_app)
    assert client_credentials(client, service_app, CLIENT_SECRET).status_code == 200
    assert client_credentials(client, service_app, new_value).status_code == 200


def test_a_deleted_secret_stops_working(client, service_app):
    old = ClientSecret.objects.get(application=service_app)
    _new_row, new_value = create_client_secret(application=service_app)
    delete_client_secret(secret=old)
    assert client_credentials(client, service_app, CLIENT_SECRET).status_code == 401
    assert client_credentials(client, service_app, new_value).status_code == 200


def test_another_apps_secret_does_not_authenticate(client, service_app, developer):
    other = make_client(
        developer,
        name="Other",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        secret="other-secret-" + "z" * 40,
    )
    assert client_credentials(client, service_app, "other-secret-" + "z" * 40).status_code == 401
    assert client_credentials(client, other, CLIENT_SECRET).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, service_app, time_machine):
    row = ClientSecret.objects.get(application=service_app)
    assert row.last_used is None
    client_credentials(client, service_app, CLIENT_SECRET)
    row.refresh_from_db()
    first = row.last_used
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client_credentials(client, service_app, CLIENT_SECRET)
    assert not [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "oauth_clientsecret"')]
    row.refresh_from_db()
    assert row.last_used == first
    # Two minutes later (the shared cache's note of the write has expired: cleared here, as
    # Redis's clock does not travel), the next use is written again.
    time_machine.move_to(first + timedelta(minutes=2), tick=False)
    cache.clear()
    client_credentials(client, service_app, CLIENT_SECRET)
    row.refresh_from_db()
    assert row.last_used > first


def test_seed_demo_keeps_exactly_one_demo_secret_that_works(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    app = Application.objects.get(client_id=seed_demo.DEMO_CLIENT_ID)
    assert app.secrets.count() == 1
    assert app.client_secret == ""
    assert check_client_secret(application=app, value=seed_demo.DEMO_CLIENT_SECRET)


def test_a_loopback_uri_does_not_open_plain_http_to_other_hosts(application):
    from django.core.exceptions import ValidationError

    application.redirect_uris = "http://127.0.0.1:8765/callback http://evil.example/callback"
    with pytest.raises(ValidationError) as refused:
        application.full_clean()
    assert "http://evil.example/callback: use https" in str(refused.value.message_dict["redirect_uris"])
    application.redirect_uris = (
        "http://127.0.0.1:8765/callback http://[::1]:9/cb https://printer.example.com/cb"
    )
    application.full_clean()


def test_unexchanged_codes_are_stored_only_as_hashes(client, user, application, developer):
    """RFC 9700 4.14: a code is a credential. Neither an authorization code waiting to be
    exchanged nor a device code being polled is readable from the database."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _verifier, challenge = pkce_pair()
    code = approve(client, application, scope="openid", challenge=challenge)["code"]
    tv = make_client(developer, name="TV", grant_types=[Application.GRANT_DEVICE_CODE], secret=None)
    device = form_post(
        client, reverse("oauth2_provider:device-authorization"), {"client_id": tv.client_id}
    ).json()

    dump = dump_database()

    assert code not in dump and device["device_code"] not in dump
    assert get_grant_model().objects.get().code == hashlib.sha256(code.encode()).hexdigest()
    assert DeviceGrant.objects.get().device_code == hashlib.sha256(device["device_code"].encode()).hexdigest()
    # DOT finds them by the value the client sends, none the wiser.
    assert get_grant_model().objects.filter(code=code).exists()
    assert DeviceGrant.objects.filter(device_code=device["device_code"]).exists()


def test_a_loaded_code_saved_again_keeps_its_hash(client, user, application, developer):
    tv = make_client(developer, name="TV", grant_types=[Application.GRANT_DEVICE_CODE], secret=None)
    device = form_post(
        client, reverse("oauth2_provider:device-authorization"), {"client_id": tv.client_id}
    ).json()
    grant = DeviceGrant.objects.get()
    grant.status = DeviceGrant.DENIED
    grant.save()

    assert DeviceGrant.objects.get(device_code=device["device_code"]).status == DeviceGrant.DENIED

"""The console's client-authentication and FAPI 2.0 settings (apps.developer.client_auth)."""

import json

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.developer.conftest import form_data
from tests.oauth.client_keys import ec_key, public_jwks, rsa_key

pytestmark = pytest.mark.django_db


def jwk_small():
    from jwcrypto import jwk

    return jwk.JWK.generate(kty="RSA", size=1024, kid="small").export_public()


def edit(dev_client, application, **overrides):
    return dev_client.post(reverse("developer:app-edit", args=[application.pk]), form_data(**overrides))


def test_a_developer_switches_to_private_key_jwt_with_a_pasted_jwks(dev_client, application, developer):
    jwks = public_jwks(rsa_key("signing-2026"))
    response = edit(
        dev_client, application, token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(jwks)
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.token_endpoint_auth_method == "private_key_jwt"
    assert application.jwks["keys"][0]["kid"] == "signing-2026"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_UPDATED, data__change="client_authentication")
    assert event.user == developer
    assert event.data["token_endpoint_auth_method"] == "private_key_jwt"
    assert event.data["key_ids"] == ["signing-2026"]


def test_the_app_page_shows_the_method_and_key_ids(dev_client, application):
    application.token_endpoint_auth_method = "private_key_jwt"
    application.jwks = public_jwks(ec_key("ec-key-7"))
    application.save()
    response = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(response, '<h2 id="client-auth-title">Client authentication</h2>', html=True)
    assertContains(response, "<code>ec-key-7</code>", html=True)
    assertContains(response, "client secrets are refused")


def test_a_private_key_is_refused(dev_client, application):
    private = {"keys": [json.loads(rsa_key().export_private())]}
    response = edit(
        dev_client, application, token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(private)
    )
    assert response.status_code == 200
    assertContains(response, "is a private or secret key")
    application.refresh_from_db()
    assert application.jwks == {}


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ("not json", "This is not JSON"),
        ('{"keys": []}', "non-empty"),
        (json.dumps({"keys": [{**json.loads(rsa_key().export_public()), "kid": ""}]}), "needs a kid"),
        (json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "x"}]}), "private or secret key"),
        (
            json.dumps({"keys": [{**json.loads(rsa_key().export_public()), "alg": "HS256"}]}),
            "use RS256, PS256 or ES256",
        ),
        (json.dumps({"keys": [json.loads(jwk_small())]}), "shorter than 2048 bits"),
    ],
    ids=["json", "empty", "kid", "secret", "alg", "small"],
)
def test_an_unusable_jwks_is_explained(dev_client, application, jwks, message):
    response = edit(dev_client, application, token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    assert response.status_code == 200
    assertContains(response, message)


def test_private_key_jwt_needs_keys(dev_client, application):
    response = edit(dev_client, application, token_endpoint_auth_method="private_key_jwt")
    assertContains(response, "Paste your public keys, or give the address")


@pytest.mark.parametrize("uri", ["http://keys.example.com/jwks.json", "ftp://keys.example.com/jwks"])
def test_a_jwks_uri_must_be_https(dev_client, application, uri):
    response = edit(dev_client, application, token_endpoint_auth_method="private_key_jwt", jwks_uri=uri)
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.jwks_uri == ""


@pytest.mark.parametrize("uri", ["https://keys.example.com/jwks.json", "http://127.0.0.1:9000/jwks.json"])
def test_a_jwks_uri_on_https_or_loopback_is_saved(dev_client, application, uri):
    assert (
        edit(dev_client, application, token_endpoint_auth_method="private_key_jwt", jwks_uri=uri).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.jwks_uri == uri


def test_fapi_needs_private_key_jwt(dev_client, application):
    response = edit(dev_client, application, fapi2="on")
    assertContains(response, "FAPI 2.0 needs private_key_jwt")
    application.refresh_from_db()
    assert application.fapi2 is False


def test_fapi_refuses_loopback_redirect_uris(dev_client, application):
    jwks = json.dumps(public_jwks(ec_key()))
    response = edit(
        dev_client,
        application,
        fapi2="on",
        token_endpoint_auth_method="private_key_jwt",
        jwks=jwks,
        redirect_uris="http://127.0.0.1:8000/callback",
    )
    assertContains(response, "FAPI 2.0 allows https redirect URIs only")


def test_fapi_is_turned_on_and_audited(dev_client, application):
    jwks = json.dumps(public_jwks(ec_key()))
    response = edit(
        dev_client, application, fapi2="on", token_endpoint_auth_method="private_key_jwt", jwks=jwks
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.fapi2 and application.pushed_authorization_requests_required
    event = AuditEvent.objects.get(data__change="client_authentication")
    assert event.data["fapi2"] is True and "fapi2" in event.data["fields"]
    page = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(page, "Authorization codes expire after 60 seconds.")


def test_fapi_is_for_confidential_clients(dev_client, developer):
    response = dev_client.post(
        reverse("developer:app-create"), form_data(client_type=Application.CLIENT_PUBLIC, fapi2="on")
    )
    assertContains(response, "FAPI 2.0 is for confidential clients only")


def test_a_public_client_has_no_client_authentication_settings(dev_client):
    response = dev_client.post(
        reverse("developer:app-create"), form_data(client_type=Application.CLIENT_PUBLIC)
    )
    assert response.status_code == 302
    app = Application.objects.get(name="Photo Frame")
    assert app.token_endpoint_auth_method == "" and app.client_auth_method == "none"
    page = dev_client.get(reverse("developer:app-detail", args=[app.pk]))
    assertNotContains(page, 'id="client-auth-panel"')


def test_the_edit_form_offers_the_settings_in_plain_words(dev_client, application):
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "How your server proves it is your app")
    assertContains(response, "No shared secret exists that could leak")
    assertContains(response, 'name="fapi2"')


def test_saving_other_settings_writes_no_client_authentication_event(dev_client, application):
    assert edit(dev_client, application, name="Photo Printer 3").status_code == 302
    assert not AuditEvent.objects.filter(data__change="client_authentication").exists()


def test_registering_a_private_key_jwt_app_makes_no_secret(dev_client):
    jwks = json.dumps(public_jwks(ec_key("first")))
    response = dev_client.post(
        reverse("developer:app-create"), form_data(token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    )
    assert response.status_code == 302
    app = Application.objects.get(name="Photo Frame")
    assert not app.secrets.exists()
    page = dev_client.get(reverse("developer:app-detail", args=[app.pk]))
    assertNotContains(page, "Generate a client secret")
    assertContains(page, "so it needs no secret")

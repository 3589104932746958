"""The console offers token exchange (RFC 8693) beside another grant, and /o/token/ follows it."""

from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.oauth.models import Application
from tests.developer.conftest import form_data
from tests.html import field_errors

CREATE = "developer:app-create"
AUTH_CODE = Application.GRANT_AUTHORIZATION_CODE
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def test_the_form_offers_token_exchange_in_plain_words(dev_client):
    response = dev_client.get(reverse(CREATE), {"kind": "native"})

    assertContains(response, f'value="{TOKEN_EXCHANGE}"')
    assertContains(response, "Token exchange")
    assertContains(response, "servers swap an access token for a narrower one")


def test_token_exchange_is_saved_beside_the_primary_grant(dev_client):
    dev_client.post(reverse(CREATE), form_data(grant_types=[AUTH_CODE, TOKEN_EXCHANGE]))

    app = Application.objects.get(name="Photo Frame")
    assert app.authorization_grant_type == AUTH_CODE  # DOT's column has no such choice
    assert app.grant_types == [AUTH_CODE, TOKEN_EXCHANGE]
    assert app.allows_grant_type(TOKEN_EXCHANGE)


def test_token_exchange_alone_is_refused(dev_client):
    response = dev_client.post(reverse(CREATE), form_data(grant_types=[TOKEN_EXCHANGE]))

    assert response.status_code == 200
    assert "Token exchange comes with another grant" in " ".join(field_errors(response, "grant_types"))
    assert not Application.objects.filter(name="Photo Frame").exists()


def test_the_app_page_names_the_grant(dev_client):
    dev_client.post(reverse(CREATE), form_data(grant_types=[AUTH_CODE, TOKEN_EXCHANGE]))
    app = Application.objects.get(name="Photo Frame")

    response = dev_client.get(reverse("developer:app-detail", args=[app.pk]))

    assertContains(response, "Token exchange")

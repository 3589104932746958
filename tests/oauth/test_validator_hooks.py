"""Pins for the one private DOT hook Gatehouse overrides: `OAuth2Validator._check_secret`.

DOT parses Basic and body credentials and loads the client, then compares the secret in
`_check_secret(provided_secret, stored_secret)`, which is not told which client it is for;
GatehouseValidator.authenticate_client hands it the request through a ContextVar. If a DOT
upgrade renames the hook, changes its signature or stops calling it from both credential
paths, these fail with a message saying so, instead of every client failing to authenticate.
"""

import inspect

import pytest
from oauth2_provider.oauth2_validators import OAuth2Validator

from apps.oauth import validators
from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post, make_client

pytestmark = pytest.mark.django_db


def test_dot_still_has_the_check_secret_hook_with_its_signature():
    assert hasattr(OAuth2Validator, "_check_secret"), "DOT removed _check_secret: see apps.oauth.validators"
    parameters = list(inspect.signature(OAuth2Validator._check_secret).parameters)
    assert parameters == ["self", "provided_secret", "stored_secret"], (
        f"DOT changed _check_secret to {parameters}: update GatehouseValidator._check_secret"
    )


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_dot_asks_check_secret_once_while_the_client_is_known(client, developer, monkeypatch, method):
    service = make_client(developer, name="Cron", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    seen = []
    check = validators.GatehouseValidator._check_secret

    def spy(self, provided_secret, stored_secret):
        seen.append((provided_secret, getattr(validators._authenticating.get(), "client", None)))
        return check(self, provided_secret, stored_secret)

    monkeypatch.setattr(validators.GatehouseValidator, "_check_secret", spy)
    data = {"grant_type": "client_credentials"}
    if method == "client_secret_basic":
        response = form_post(client, "/o/token/", data, **basic_auth(service.client_id, CLIENT_SECRET))
    else:
        data.update(client_id=service.client_id, client_secret=CLIENT_SECRET)
        response = form_post(client, "/o/token/", data)
    assert seen == [(CLIENT_SECRET, service)], (
        f"DOT no longer calls _check_secret from its {method} path inside authenticate_client"
    )
    assert response.status_code == 200, response.content

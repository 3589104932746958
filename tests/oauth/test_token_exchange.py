"""RFC 8693 token exchange at /o/token/: a Gatehouse access token traded for a narrower one.

Requests are built and answers parsed by oauthlib's client-side helpers, as a client library
does (`prepare_token_request`, `parse_token_response`), then sent form-encoded with HTTP Basic.
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauth2_provider.models import AccessToken
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc6749.parameters import parse_token_response, prepare_token_request

from apps.audit.models import AuditEvent
from apps.oauth.models import Application, TokenExchange
from tests.oauth_flow import (
    CLIENT_SECRET,
    FORM,
    basic_auth,
    introspect,
    make_client,
    obtain_tokens,
    refresh,
    revoke,
)

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
SCOPE = "openid profile email read"


@pytest.fixture
def gateway(developer) -> Application:
    """A confidential server app that signs people in and may exchange their tokens."""
    return make_client(
        developer,
        name="Photo Gateway",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE, GRANT],
        allowed_scopes=["openid", "profile", "email", "read", "write"],
    )


PHOTOS = "https://photos.example.com/"


@pytest.fixture
def photos_api(developer) -> Application:
    """The resource server a downscoped token is for: a `resource` must name a registered one (RFC 8707)."""
    return make_client(
        developer,
        name="Photos API",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
        resource_uri=PHOTOS,
    )


@pytest.fixture
def subject(client, user, gateway) -> dict:
    return obtain_tokens(client, user=user, application=gateway, scope=SCOPE)


def token_exchange(client, app, *, secret=CLIENT_SECRET, **params):
    """The request a client library sends: form body from oauthlib, credentials in Basic."""
    body = prepare_token_request(GRANT, include_client_id=False, **params)
    return client.post(
        reverse("oauth2_provider:token"), body, content_type=FORM, **basic_auth(app.client_id, secret)
    )


def downscope(client, app, subject_token, **params):
    params.setdefault("subject_token_type", ACCESS_TOKEN)
    return token_exchange(client, app, subject_token=subject_token, **params)


def error_of(response) -> str:
    return response.json()["error"]


def test_access_token_is_exchanged_for_a_narrower_one(client, user, gateway, subject, photos_api):
    response = downscope(
        client, gateway, subject["access_token"], scope="read", resource="https://photos.example.com/"
    )

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    token = parse_token_response(response.content.decode(), scope="read")
    assert token["issued_token_type"] == ACCESS_TOKEN
    assert token["token_type"] == "Bearer"
    assert token["scope"] == ["read"]  # oauthlib parses it into a list
    assert 0 < token["expires_in"] <= subject["expires_in"]
    assert "refresh_token" not in token
    link = TokenExchange.objects.get()
    derived = AccessToken.objects.get(pk=link.exchanged_token_id)
    assert derived.user == user
    assert derived.application == gateway
    assert derived.resource == ["https://photos.example.com/"]
    assert link.subject.scope == SCOPE
    assert token["access_token"] not in (derived.token, derived.token_checksum)  # hashed at rest


def test_exchanged_token_is_introspected_with_its_audience(
    client, gateway, subject, introspecting_app, photos_api
):
    token = downscope(
        client, gateway, subject["access_token"], scope="read", audience="https://photos.example.com/"
    ).json()

    answer = introspect(client, token["access_token"], client_id=introspecting_app.client_id).json()

    assert answer["active"] is True
    assert answer["scope"] == "read"
    assert answer["aud"] == ["https://photos.example.com/"]
    assert answer["client_id"] == gateway.client_id


def test_exchanged_token_calls_the_api(client, gateway, subject):
    token = downscope(client, gateway, subject["access_token"], scope="read").json()

    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")

    assert response.status_code == 200, response.content


def test_without_a_scope_the_subjects_scope_is_kept(client, gateway, subject):
    token = downscope(client, gateway, subject["access_token"]).json()

    assert token["scope"] == SCOPE


def test_exchange_is_audited_with_its_subject(client, user, gateway, subject):
    downscope(client, gateway, subject["access_token"], scope="read")

    event = AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.TOKEN_ISSUED).latest("pk")
    assert event.data["grant_type"] == GRANT
    assert event.data["token_exchange"] == "downscoped"
    assert event.data["subject_client_id"] == gateway.client_id
    assert event.data["refresh_token_issued"] is False


def test_scope_beyond_the_subjects_is_refused(client, gateway, subject):
    response = downscope(client, gateway, subject["access_token"], scope="read write")

    assert response.status_code == 400
    assert error_of(response) == "invalid_scope"
    assert AccessToken.objects.count() == 1


def test_exchanged_token_cannot_be_exchanged_back_up(client, gateway, subject):
    narrow = downscope(client, gateway, subject["access_token"], scope="read").json()

    response = downscope(client, gateway, narrow["access_token"], scope="read profile")

    assert error_of(response) == "invalid_scope"


def test_client_without_the_grant_is_unauthorized(client, user, application):
    subject = obtain_tokens(client, user=user, application=application, scope=SCOPE)

    response = downscope(client, application, subject["access_token"], scope="read")

    assert response.status_code == 400
    assert error_of(response) == "unauthorized_client"


def test_another_client_cannot_exchange_the_token(client, developer, gateway, subject):
    other = make_client(developer, name="Snooper", grant_types=[Application.GRANT_CLIENT_CREDENTIALS, GRANT])

    response = downscope(client, other, subject["access_token"], scope="read")

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    assert AccessToken.objects.count() == 1


def test_a_resource_server_exchanges_a_token_presented_to_it(client, developer, user, subject):
    api = make_client(
        developer,
        name="Photo API",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS, GRANT],
        is_resource_server=True,
    )

    response = downscope(client, api, subject["access_token"], scope="read")

    assert response.status_code == 200, response.content
    assert AccessToken.objects.get(application=api).user == user


def test_public_client_cannot_downscope(client, developer, subject):
    native = make_client(
        developer, name="Pocket", grant_types=[Application.GRANT_AUTHORIZATION_CODE, GRANT], secret=None
    )
    body = prepare_token_request(
        GRANT,
        client_id=native.client_id,
        subject_token=subject["access_token"],
        subject_token_type=ACCESS_TOKEN,
    )

    response = client.post(reverse("oauth2_provider:token"), body, content_type=FORM)

    assert response.status_code == 400
    assert error_of(response) == "unauthorized_client"


def test_wrong_secret_is_invalid_client(client, gateway, subject):
    response = token_exchange(
        client,
        gateway,
        secret="wrong",
        subject_token=subject["access_token"],
        subject_token_type=ACCESS_TOKEN,
    )

    assert response.status_code == 401
    assert error_of(response) == "invalid_client"


def test_revoking_the_subject_revokes_what_was_exchanged_from_it(client, gateway, subject):
    first = downscope(client, gateway, subject["access_token"], scope="read").json()
    second = downscope(client, gateway, first["access_token"], scope="read").json()

    assert revoke(client, gateway, subject["access_token"]).status_code == 200

    assert not AccessToken.objects.exists()
    assert not TokenExchange.objects.exists()
    for token in (first, second):
        response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
        assert response.status_code == 401


def test_refreshing_the_subject_revokes_what_was_exchanged_from_it(client, gateway, subject):
    exchanged = downscope(client, gateway, subject["access_token"], scope="read").json()

    assert refresh(client, gateway, subject["refresh_token"]).status_code == 200

    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {exchanged['access_token']}")
    assert response.status_code == 401


def test_revoking_the_exchanged_token_leaves_its_subject(client, gateway, subject):
    exchanged = downscope(client, gateway, subject["access_token"], scope="read").json()

    revoke(client, gateway, exchanged["access_token"])

    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {subject['access_token']}")
    assert response.status_code == 200


def test_revoked_subject_is_refused(client, gateway, subject):
    revoke(client, gateway, subject["access_token"])

    response = downscope(client, gateway, subject["access_token"])

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


def test_expired_subject_is_refused(client, gateway, subject):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = downscope(client, gateway, subject["access_token"])

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


def test_exchanged_token_expires_with_its_subject(client, gateway, subject):
    ends = timezone.now() + timedelta(seconds=90)
    AccessToken.objects.update(expires=ends)

    token = downscope(client, gateway, subject["access_token"], scope="read").json()

    assert token["expires_in"] <= 90
    assert AccessToken.objects.get(pk__in=TokenExchange.objects.values("exchanged_token_id")).expires <= ends


def test_locked_account_token_is_refused(client, user, gateway, subject):
    user.is_active = False
    user.save()

    assert error_of(downscope(client, gateway, subject["access_token"])) == "invalid_request"


def test_actor_token_is_refused(client, gateway, subject):
    response = downscope(
        client,
        gateway,
        subject["access_token"],
        actor_token=subject["access_token"],
        actor_token_type=ACCESS_TOKEN,
    )

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    assert "actor_token" in response.json()["error_description"]


@pytest.mark.parametrize(
    "params",
    [
        {"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"},
        {"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"},
        {"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
        {"requested_token_type": "urn:ietf:params:oauth:token-type:jwt"},
        {"subject_issuer": "myspace"},
    ],
    ids=["id-token", "saml", "refresh-token", "jwt", "unknown-issuer"],
)
def test_unsupported_token_types_are_invalid_request(client, gateway, subject, params):
    response = downscope(client, gateway, subject["access_token"], **params)

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    assert AccessToken.objects.count() == 1


@pytest.mark.parametrize("missing", ["subject_token", "subject_token_type"])
def test_missing_parameter_is_invalid_request(client, gateway, subject, missing):
    params = {"subject_token": subject["access_token"], "subject_token_type": ACCESS_TOKEN}
    del params[missing]

    response = token_exchange(client, gateway, **params)

    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


@pytest.mark.parametrize(
    "target",
    [
        {"resource": "not a uri"},
        {"audience": "photo-api"},
        {"audience": "https://a.example/", "resource": "https://b.example/"},
    ],
    ids=["bad-resource", "logical-audience", "both"],
)
def test_unknown_target_is_invalid_target(client, gateway, subject, target):
    response = downscope(client, gateway, subject["access_token"], **target)

    assert response.status_code == 400
    assert error_of(response) == "invalid_target"


def test_client_library_raises_the_servers_error(client, gateway, subject):
    response = downscope(client, gateway, subject["access_token"], scope="admin")

    with pytest.raises(OAuth2Error) as raised:
        parse_token_response(response.content.decode())
    assert raised.value.error == "invalid_scope"


PARAMETERS = st.sampled_from(
    [
        "subject_token",
        "subject_token_type",
        "subject_issuer",
        "requested_token_type",
        "actor_token",
        "actor_token_type",
        "audience",
        "resource",
        "scope",
    ]
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [ACCESS_TOKEN, "urn:ietf:params:oauth:token-type:id_token", "google-oauth2", "https://x.example/"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(PARAMETERS, VALUES, max_size=6))
def test_garbage_gets_an_oauth_error_never_a_500(client, gateway, params):
    params = {name: value.replace("\x00", "") for name, value in params.items()}

    response = token_exchange(client, gateway, **params)

    assert response.status_code in (400, 401, 403, 429), response.content
    assert json.loads(response.content)["error"]


def test_a_server_class_without_the_grant_fails_the_system_check(settings):
    from django.core.checks import run_checks
    from oauth2_provider.settings import oauth2_settings

    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OAUTH2_SERVER_CLASS": "oauthlib.openid.Server"}
    try:
        errors = [error.id for error in run_checks(tags=["security"])]
    finally:
        oauth2_settings.reload()

    assert "gatehouse.E002" in errors


def test_the_configured_server_passes_the_system_check():
    from django.core.checks import run_checks

    assert "gatehouse.E002" not in [error.id for error in run_checks(tags=["security"])]

"""Native sign-in through RFC 8693 at /o/token/: a provider's access token, `subject_issuer`
naming the provider. Providers are faked at the HTTP layer, as for /api/auth/social/."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken
from oauthlib.oauth2.rfc6749.parameters import parse_token_response, prepare_token_request
from social_django.models import UserSocialAuth

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.oauth.models import Application, Consent, TokenFamily
from tests.oauth_flow import FORM, refresh
from tests.social.test_token_exchange import GOOGLE_TOKENINFO, provider_accepts_token

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"


def google_id_token_claims(**claims) -> dict:
    """What Google's tokeninfo answers for a live ID token (its strings, as Google sends them)."""
    return {
        "iss": "https://accounts.google.com",
        "aud": "google-ios-client",
        "azp": "google-ios-client",
        "sub": "uid-1",
        "email": "ada@example.com",
        "email_verified": "true",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "exp": str(int(time.time()) + 600),
        **claims,
    }


@pytest.fixture
def native_app(native_app) -> Application:
    """The native app of tests/social/conftest.py, with token exchange enabled in the console."""
    native_app.grant_types = [Application.GRANT_AUTHORIZATION_CODE, GRANT]
    native_app.save()
    return native_app


def sign_in(client, app, issuer="google-oauth2", REMOTE_ADDR="127.0.0.1", **params):
    params = {"subject_token": "provider-token", "subject_token_type": ACCESS_TOKEN, **params}
    body = prepare_token_request(GRANT, client_id=app.client_id, subject_issuer=issuer, **params)
    return client.post(reverse("oauth2_provider:token"), body, content_type=FORM, REMOTE_ADDR=REMOTE_ADDR)


@pytest.mark.parametrize("provider", ["google-oauth2", "github", "facebook"])
def test_provider_token_gets_gatehouse_tokens(client, fakes, rsps, native_app, user, provider):
    UserSocialAuth.objects.create(
        user=user, provider=provider, uid="uid-1", id_key="sub" if provider == "google-oauth2" else "id"
    )
    provider_accepts_token(fakes, rsps, provider)

    response = sign_in(client, native_app, provider, scope="openid read")

    assert response.status_code == 200, response.content
    token = parse_token_response(response.content.decode(), scope="openid read")
    assert token["issued_token_type"] == ACCESS_TOKEN
    assert token["token_type"] == "Bearer"
    assert token["refresh_token"]
    access = AccessToken.objects.get(user=user, application=native_app)
    assert access.scope == "openid read"
    assert RefreshToken.objects.get(access_token=access).token_family
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.SOCIAL_SIGNED_IN)
    assert event.data == {"provider": provider, "client_id": native_app.client_id, "via": "token_exchange"}
    issued = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.TOKEN_ISSUED)
    assert issued.data["grant_type"] == GRANT
    assert issued.data["token_exchange"] == "native_sign_in"
    assert Consent.objects.get(user=user, application=native_app).scopes == ["openid", "read"]


def test_tokens_work_at_userinfo_and_refresh_within_their_family(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "google-oauth2")
    tokens = sign_in(client, native_app, scope="openid email").json()

    userinfo = client.get(
        reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    refreshed = refresh(client, native_app, tokens["refresh_token"], secret="")

    assert userinfo.json()["email"] == "ada@example.com"
    assert refreshed.status_code == 200, refreshed.content
    family = TokenFamily.objects.get(user=user)
    assert family.expires > timezone.now()
    assert RefreshToken.objects.filter(token_family=family.family).count() == 2


def test_new_person_gets_an_account(client, fakes, rsps, native_app):
    provider_accepts_token(fakes, rsps, "github", email="newcomer@example.com")

    assert sign_in(client, native_app, "github").status_code == 200
    assert UserSocialAuth.objects.get(provider="github").user.email == "newcomer@example.com"


def test_rejected_provider_token_is_invalid_request(client, rsps, native_app):
    rsps.get(GOOGLE_TOKENINFO, json={"error": "invalid_token"}, status=400)

    response = sign_in(client, native_app)

    # RFC 8693 2.2.2: an invalid subject token is invalid_request.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_token_issued_to_another_app_is_refused(client, fakes, rsps, native_app, user):
    rsps.get(GOOGLE_TOKENINFO, json={"aud": "someone-elses-app", "azp": "someone-elses-app", "sub": "uid-1"})

    assert sign_in(client, native_app).json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_account_with_mfa_must_use_the_browser(client, fakes, rsps, native_app, user):
    TOTP.activate(user, generate_totp_secret())
    provider_accepts_token(fakes, rsps, "google-oauth2")

    response = sign_in(client, native_app)

    assert response.status_code == 403
    assert response.json()["error"] == "interaction_required"
    assert not AccessToken.objects.exists()


def test_unconfirmed_address_must_use_the_browser(client, fakes, rsps, native_app):
    provider_accepts_token(fakes, rsps, "facebook", email="newcomer@example.com")

    response = sign_in(client, native_app, "facebook")

    assert response.status_code == 403
    assert response.json()["error"] == "interaction_required"
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_existing_account_is_not_taken_over_on_an_unverified_address(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "facebook", email="ada@example.com")

    response = sign_in(client, native_app, "facebook")

    assert response.json()["error"] == "account_exists"
    assert not UserSocialAuth.objects.exists()


def test_provider_outage_is_503(client, rsps, native_app):
    rsps.get(GOOGLE_TOKENINFO, status=503)

    response = sign_in(client, native_app)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_app_without_the_grant_is_unauthorized(client, rsps, native_app):
    native_app.grant_types = [Application.GRANT_AUTHORIZATION_CODE]
    native_app.save()

    response = sign_in(client, native_app)

    assert response.json()["error"] == "unauthorized_client"
    assert not rsps.calls


def test_confidential_client_is_unauthorized(client, rsps, developer):
    from tests.oauth_flow import CLIENT_SECRET, make_client

    server = make_client(developer, name="Server", grant_types=[Application.GRANT_AUTHORIZATION_CODE, GRANT])

    response = sign_in(client, server, client_secret=CLIENT_SECRET)

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not rsps.calls


def test_google_id_token_signs_the_person_in(client, rsps, native_app, user):
    UserSocialAuth.objects.create(user=user, provider="google-oauth2", uid="uid-1", id_key="sub")
    rsps.get(GOOGLE_TOKENINFO, json=google_id_token_claims())

    response = sign_in(client, native_app, subject_token="google-id-token", subject_token_type=ID_TOKEN)

    assert response.status_code == 200, response.content
    assert response.json()["refresh_token"]
    assert AccessToken.objects.get(application=native_app).user == user
    asked = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert asked == {"id_token": ["google-id-token"]}
    assert len(rsps.calls) == 1  # the claims are the profile: no userinfo call


def test_google_id_token_makes_an_account_on_a_verified_address(client, rsps, native_app):
    rsps.get(GOOGLE_TOKENINFO, json=google_id_token_claims(email="newcomer@example.com", sub="uid-9"))

    response = sign_in(client, native_app, subject_token="google-id-token", subject_token_type=ID_TOKEN)

    assert response.status_code == 200, response.content
    newcomer = UserSocialAuth.objects.get(provider="google-oauth2", uid="uid-9").user
    assert newcomer.emailaddress_set.get().verified


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "someone-elses-app"},
        {"iss": "https://evil.example"},
        {"exp": "1000"},
        {"exp": "soon"},
    ],
    ids=["other-audience", "other-issuer", "expired", "garbled-expiry"],
)
def test_google_id_token_not_for_us_is_refused(client, rsps, native_app, user, claims):
    rsps.get(GOOGLE_TOKENINFO, json=google_id_token_claims(**claims))

    response = sign_in(client, native_app, subject_token="google-id-token", subject_token_type=ID_TOKEN)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_google_id_token_with_an_unverified_address_is_not_a_takeover(client, rsps, native_app, user):
    rsps.get(GOOGLE_TOKENINFO, json=google_id_token_claims(email_verified="false"))

    response = sign_in(client, native_app, subject_token="google-id-token", subject_token_type=ID_TOKEN)

    assert response.json()["error"] == "account_exists"
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"issuer": "github", "subject_token_type": ID_TOKEN},
        {"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"},
        {"issuer": "oidc"},
        {"issuer": "myspace"},
        {"actor_token": "x", "actor_token_type": ACCESS_TOKEN},
    ],
    ids=["github-id-token", "saml", "oidc-provider", "unknown-provider", "actor-token"],
)
def test_unsupported_subjects_are_invalid_request(client, rsps, native_app, params):
    response = sign_in(client, native_app, **params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not rsps.calls


def test_audience_is_invalid_target(client, rsps, native_app):
    response = sign_in(client, native_app, audience="https://api.example.com/")

    assert response.json()["error"] == "invalid_target"


def test_scope_the_app_may_not_have_is_invalid_scope(client, rsps, native_app):
    response = sign_in(client, native_app, scope="openid admin")

    assert response.json()["error"] == "invalid_scope"
    assert not rsps.calls


def test_sign_ins_are_rate_limited_per_address(client, rsps, native_app):
    rsps.get(GOOGLE_TOKENINFO, json={"error": "invalid_token"}, status=400)

    statuses = [sign_in(client, native_app).status_code for _ in range(31)]

    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429

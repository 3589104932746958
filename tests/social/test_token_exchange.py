"""POST /api/auth/social/<provider>/: provider token in, Gatehouse tokens (issued by DOT) out."""

from urllib.parse import urlencode

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken
from social_django.models import UserSocialAuth

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.oauth.models import Consent, TokenFamily
from tests.social.providers import FB

GOOGLE_TOKENINFO = "https://oauth2.googleapis.com/tokeninfo"
GITHUB_CHECK = "https://api.github.com/applications/github-client/token"
FACEBOOK_DEBUG = f"{FB}/debug_token"


def url(provider: str = "google-oauth2") -> str:
    return reverse("identities:token-exchange", args=[provider])


def exchange(client, app, provider="google-oauth2", REMOTE_ADDR="127.0.0.1", **data):
    body = {"client_id": app.client_id, "access_token": "provider-token", **data}
    return client.post(url(provider), body, content_type="application/json", REMOTE_ADDR=REMOTE_ADDR)


def provider_accepts_token(fakes, rsps, provider, *, uid="uid-1", email="ada@example.com", verified=True):
    """The provider says the token is live and ours, and serves the person's profile."""
    if provider == "google-oauth2":
        rsps.get(GOOGLE_TOKENINFO, json={"aud": "google-ios-client", "azp": "google-ios-client", "sub": uid})
    elif provider == "github":
        rsps.post(GITHUB_CHECK, json={"token": "provider-token", "user": {"id": uid}})
    else:
        rsps.get(FACEBOOK_DEBUG, json={"data": {"app_id": "facebook-app", "is_valid": True, "user_id": uid}})
    fakes[provider].profile(uid=uid, email=email, verified=verified)


@pytest.mark.parametrize("provider", ["google-oauth2", "github", "facebook"])
def test_valid_provider_token_gets_gatehouse_tokens(client, fakes, rsps, native_app, user, provider):
    UserSocialAuth.objects.create(
        user=user, provider=provider, uid="uid-1", id_key="sub" if provider == "google-oauth2" else "id"
    )
    provider_accepts_token(fakes, rsps, provider)

    response = exchange(client, native_app, provider, scope="openid read")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid read"
    assert body["expires_in"] > 0
    assert response["Cache-Control"] == "no-store"
    token = AccessToken.objects.get(user=user, application=native_app)
    assert token.scope == "openid read"
    assert RefreshToken.objects.filter(user=user, application=native_app, access_token=token).exists()
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.SOCIAL_SIGNED_IN)
    assert event.data == {"provider": provider, "client_id": native_app.client_id, "via": "token_exchange"}
    assert Consent.objects.get(user=user, application=native_app).scopes == ["openid", "read"]


def test_issued_tokens_work_at_userinfo_and_refresh_with_rotation(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "google-oauth2")
    tokens = exchange(client, native_app, scope="openid email").json()

    userinfo = client.get(
        reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    refreshed = client.post(
        reverse("oauth2_provider:token"),
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": native_app.client_id,
        },
    )

    assert userinfo.status_code == 200
    assert userinfo.json()["email"] == "ada@example.com"
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]


def test_exchange_is_a_token_family_with_an_absolute_end_and_is_audited(
    client, fakes, rsps, native_app, user
):
    provider_accepts_token(fakes, rsps, "google-oauth2")

    exchange(client, native_app, REMOTE_ADDR="203.0.113.9")

    refresh = RefreshToken.objects.get(user=user)
    family = TokenFamily.objects.get(family=refresh.token_family)
    assert family.user == user
    assert family.expires > timezone.now()
    issued = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.TOKEN_ISSUED)
    assert issued.ip_address == "203.0.113.9"
    assert issued.data["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"


def test_consent_is_recorded_once_for_connected_apps(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "google-oauth2")

    exchange(client, native_app)
    exchange(client, native_app)

    assert Consent.objects.get(user=user, application=native_app).scopes == ["openid"]
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.CONSENT_GRANTED).count() == 1
    assert AccessToken.objects.filter(user=user).count() == 2


def test_new_person_gets_an_account_through_the_same_rules(client, fakes, rsps, native_app):
    provider_accepts_token(fakes, rsps, "github", email="newcomer@example.com")

    response = exchange(client, native_app, "github")

    assert response.status_code == 200
    identity = UserSocialAuth.objects.get(provider="github")
    assert identity.user.email == "newcomer@example.com"
    assert identity.user.emailaddress_set.get().verified


def test_authorization_code_is_exchanged_with_the_provider_using_our_secret(
    client, fakes, rsps, native_app, user
):
    rsps.post(fakes["google-oauth2"].token_url, json={"access_token": "from-code", "token_type": "Bearer"})
    fakes["google-oauth2"].profile(uid="uid-1", email="ada@example.com")

    form = {
        "client_id": native_app.client_id,
        "code": "app-code",
        "redirect_uri": "https://printer.example.com/cb",
    }
    response = client.post(
        url(),
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200, response.content
    sent = rsps.calls[0].request.body
    assert "code=app-code" in sent
    assert "client_secret=google-secret" in sent
    assert "redirect_uri=https%3A%2F%2Fprinter.example.com%2Fcb" in sent
    assert AccessToken.objects.filter(user=user).exists()


def test_invalid_provider_token_is_401(client, rsps, native_app):
    rsps.get(
        GOOGLE_TOKENINFO, json={"error": "invalid_token", "error_description": "Invalid Value"}, status=400
    )

    response = exchange(client, native_app)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"
    assert "WWW-Authenticate" in response
    assert not AccessToken.objects.exists()


def test_expired_facebook_token_is_401(client, rsps, native_app):
    rsps.get(
        FACEBOOK_DEBUG,
        json={
            "data": {
                "app_id": "facebook-app",
                "is_valid": False,
                "error": {"code": 190, "message": "expired"},
            }
        },
    )

    response = exchange(client, native_app, "facebook")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"


def test_expired_github_token_is_401(client, rsps, native_app):
    rsps.post(GITHUB_CHECK, json={"message": "Not Found"}, status=404)

    assert exchange(client, native_app, "github").status_code == 401


def test_expired_code_is_401(client, fakes, rsps, native_app):
    rsps.post(fakes["google-oauth2"].token_url, json={"error": "invalid_grant"}, status=400)

    response = client.post(
        url(),
        {"client_id": native_app.client_id, "code": "old", "redirect_uri": "https://a.example/"},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"


def test_token_issued_to_another_app_is_refused(client, fakes, rsps, native_app, user):
    rsps.get(GOOGLE_TOKENINFO, json={"aud": "someone-elses-app", "azp": "someone-elses-app", "sub": "uid-1"})
    fakes["google-oauth2"].profile(uid="uid-1", email="ada@example.com")

    response = exchange(client, native_app)

    assert response.status_code == 401
    assert not AccessToken.objects.exists()


def test_unknown_client_is_invalid_client(client, rsps):
    response = client.post(
        url(), {"client_id": "nobody", "access_token": "t"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not rsps.calls


def test_confidential_client_is_refused(client, rsps, application):
    response = exchange(client, application)

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not rsps.calls


@pytest.mark.parametrize(
    "data",
    [{"access_token": "t"}, {"client_id": "x"}, {"client_id": "x", "code": "c"}],
    ids=["no-client-id", "no-token", "code-without-redirect-uri"],
)
def test_missing_parameter_is_400(client, data):
    response = client.post(url(), data, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_scopes_are_limited_to_what_the_client_is_allowed(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "google-oauth2")

    response = exchange(client, native_app, scope="openid read write admin introspection")

    assert response.json()["scope"] == "openid read"
    assert AccessToken.objects.get(user=user).scope == "openid read"


def test_without_a_scope_the_client_gets_the_default_scope(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "google-oauth2")

    assert exchange(client, native_app).json()["scope"] == "openid"


def test_only_disallowed_scopes_is_invalid_scope(client, rsps, native_app):
    response = exchange(client, native_app, scope="admin")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not rsps.calls


def test_account_with_mfa_must_use_the_browser(client, fakes, rsps, native_app, user):
    TOTP.activate(user, generate_totp_secret())
    provider_accepts_token(fakes, rsps, "google-oauth2")

    response = exchange(client, native_app)

    assert response.status_code == 403
    assert response.json()["error"] == "interaction_required"
    assert not AccessToken.objects.exists()


def test_new_person_with_an_unconfirmed_address_must_use_the_browser(client, fakes, rsps, native_app):
    provider_accepts_token(fakes, rsps, "facebook", email="newcomer@example.com")

    response = exchange(client, native_app, "facebook")

    assert response.status_code == 403
    assert response.json()["error"] == "interaction_required"
    assert not AccessToken.objects.exists()
    # No account is made for an address nobody has proven: it could be someone else's.
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_existing_account_is_not_taken_over_on_an_unverified_address(client, fakes, rsps, native_app, user):
    provider_accepts_token(fakes, rsps, "facebook", email="ada@example.com")

    response = exchange(client, native_app, "facebook")

    assert response.status_code == 400
    assert response.json()["error"] == "account_exists"
    assert not UserSocialAuth.objects.exists()


def test_provider_outage_is_503(client, rsps, native_app):
    rsps.get(GOOGLE_TOKENINFO, status=503)

    response = exchange(client, native_app)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_unknown_provider_is_404(client, native_app):
    response = exchange(client, native_app, "myspace")

    assert response.status_code == 404
    assert response.json()["error"] == "unsupported_provider"


def test_openid_connect_provider_tokens_are_not_exchanged(client, native_app):
    response = exchange(client, native_app, "oidc")

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_provider"


def test_get_is_405(client):
    assert client.get(url()).status_code == 405


def test_exchange_is_throttled(client, native_app, rsps):
    rsps.get(GOOGLE_TOKENINFO, json={"error": "invalid_token"}, status=400)
    statuses = [exchange(client, native_app).status_code for _ in range(31)]

    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429

"""Native apps: a provider token (or code) in, Gatehouse access and refresh tokens out.

Two doors lead here: the RFC 8693 token exchange grant at /o/token/ (`ProviderSubjects`, which
apps.oauth.token_exchange calls for a `subject_issuer`), and the older
POST /api/auth/social/<provider>/ (`exchange`), which also takes a provider's authorization code.

The provider token is checked with the provider, including that it was issued to *our*
client (a token some other app obtained for the same person must not sign them in here);
the account is found or created by the same pipeline as the browser flow; DOT issues the
tokens, limited to the scopes the client may have.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from allauth.account.utils import has_verified_email
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2 import BearerToken
from social_core.backends.facebook import API_VERSION, FacebookOAuth2
from social_core.backends.github import GithubOAuth2
from social_core.backends.google import GoogleOAuth2
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthConfigurationError,
    AuthCredentialError,
    AuthPolicyError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_django.utils import load_strategy

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.audit.services import client_ip, record
from apps.core.ratelimit import digest
from apps.oauth import token_exchange
from apps.oauth.models import Application, Consent
from apps.oauth.ratelimit import consume
from apps.oauth.services import mark_consent_used, record_consent
from apps.social.pipeline import TOKEN_EXCHANGE
from apps.social.providers import get_provider

# RFC 8693's grant type names what this is; DOT only reads it to tell client_credentials apart.
GRANT_TYPE = token_exchange.GRANT_TYPE
GOOGLE_TOKENINFO_URL = "https://oauth2.googleapis.com/tokeninfo"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
GITHUB_CHECK_TOKEN_URL = "https://api.github.com/applications/{client_id}/token"
FACEBOOK_DEBUG_TOKEN_URL = "https://graph.facebook.com/v{version}/debug_token"
SUPPORTED = (GoogleOAuth2, GithubOAuth2, FacebookOAuth2)
# Provider answers to a token check that mean "not a valid token", not "provider down".
REJECTED_STATUSES = {400, 401, 403, 404, 410, 422}


@dataclass
class ExchangeError(Exception):
    """An RFC 6749 section 5.2 style error: HTTP status, error code, description."""

    status: int
    error: str
    description: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status == 401:
            self.headers.setdefault(
                "WWW-Authenticate", f'Bearer realm="{settings.SITE_NAME}", error="{self.error}"'
            )

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def public_client(client_id: str) -> Application:
    application = Application.objects.filter(client_id=client_id).first()
    if application is None:
        raise ExchangeError(401, "invalid_client", "No application has this client_id.")
    if application.client_type != Application.CLIENT_PUBLIC:
        raise ExchangeError(
            400,
            "unauthorized_client",
            "Only public (native) clients may exchange provider tokens; "
            "confidential clients use the authorization code flow.",
        )
    return application


def _check_token_audience(backend, access_token: str) -> None:
    """Ask the provider whether `access_token` is valid and was issued to our client."""
    key, secret = backend.get_key_and_secret()
    if isinstance(backend, GoogleOAuth2):
        info = backend.get_json(
            GOOGLE_TOKENINFO_URL, params={"access_token": access_token}, stage="token_validation"
        )
        allowed = {key, *(backend.setting("NATIVE_CLIENT_IDS") or [])}
        issued_to_us = info.get("aud") in allowed or info.get("azp") in allowed
    elif isinstance(backend, GithubOAuth2):
        # 200 only for a live token of our OAuth app; 404 otherwise.
        backend.request(
            GITHUB_CHECK_TOKEN_URL.format(client_id=key),
            method="POST",
            json={"access_token": access_token},
            auth=(key, secret),
            headers={"Accept": "application/vnd.github+json"},
            stage="token_validation",
        )
        issued_to_us = True
    else:
        version = backend.setting("API_VERSION", API_VERSION)
        info = (
            backend.get_json(
                FACEBOOK_DEBUG_TOKEN_URL.format(version=version),
                params={"input_token": access_token, "access_token": f"{key}|{secret}"},
                stage="token_validation",
            ).get("data")
            or {}
        )
        issued_to_us = info.get("is_valid") is True and str(info.get("app_id")) == str(key)
    if not issued_to_us:
        raise AuthCredentialError(backend, code="credential_rejected", stage="token_validation")


def _check_google_id_token(backend, id_token: str) -> dict[str, Any]:
    """Google's claims for `id_token`, once Google says it is its own, live, and for our client
    (Google's tokeninfo endpoint checks the signature and expiry; OIDC Core 3.1.3.7)."""
    claims = backend.get_json(GOOGLE_TOKENINFO_URL, params={"id_token": id_token}, stage="token_validation")
    key, _secret = backend.get_key_and_secret()
    allowed = {key, *(backend.setting("NATIVE_CLIENT_IDS") or [])}
    try:
        live = int(claims.get("exp", 0)) > time.time()
    except (TypeError, ValueError):
        live = False
    if claims.get("iss") not in GOOGLE_ISSUERS or claims.get("aud") not in allowed or not live:
        raise AuthCredentialError(backend, code="credential_rejected", stage="token_validation")
    return claims


def _exchange_code(backend, *, code: str, redirect_uri: str, code_verifier: str) -> tuple[str, dict]:
    """Trade the app's authorization code at the provider for its access token (our client secret)."""
    backend.redirect_uri = redirect_uri
    backend.data = {"code": code}
    params = backend.auth_complete_params()
    if code_verifier:
        params["code_verifier"] = code_verifier
    where = "params" if backend.ACCESS_TOKEN_METHOD == "GET" else "data"
    response = backend.request_access_token(
        backend.access_token_url(),
        method=backend.ACCESS_TOKEN_METHOD,
        headers=backend.auth_headers(),
        auth=backend.auth_complete_credentials(),
        **{where: params},
    )
    return backend.get_access_token(response), response


def _as_exchange_error(error: SocialAuthBaseException, title: str) -> ExchangeError:
    rejected = ExchangeError(401, "invalid_grant", f"{title} did not accept this token or code.")
    if isinstance(error, AuthCredentialError | AuthCanceled):
        return rejected
    if isinstance(error, AuthProviderError):
        if error.status_code in REJECTED_STATUSES:
            return rejected
        return ExchangeError(503, "temporarily_unavailable", f"{title} is not responding; try again later.")
    if isinstance(error, AuthConfigurationError):
        if error.provider_code:  # the provider refused the request (bad redirect_uri, ...)
            return rejected
        return ExchangeError(503, "temporarily_unavailable", f"Sign-in with {title} is misconfigured here.")
    if isinstance(error, AuthAssociationError) and error.code == "email_in_use":
        return ExchangeError(
            400,
            "account_exists",
            f"An account with this email address exists: sign in to it in the browser, "
            f"then connect {title} there.",
        )
    if error.code == "email_confirmation_required":
        return ExchangeError(
            403,
            "interaction_required",
            f"{title} has not confirmed this email address: sign in through the browser once.",
        )
    if isinstance(error, AuthPolicyError):
        return ExchangeError(
            403, "access_denied", f"Signing in with {title} is not allowed for this account."
        )
    if isinstance(error, AuthResponseError) and error.claim in ("email", "email_verified"):
        return ExchangeError(400, "invalid_grant", f"{title} did not share a verified email address.")
    return ExchangeError(401, "invalid_grant", f"Signing in with {title} did not work.")


def _sign_in(
    request: HttpRequest,
    *,
    provider: str,
    access_token: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    id_token: str = "",
):
    known = get_provider(provider)
    if known is None:
        raise ExchangeError(404, "unsupported_provider", f"Sign-in with {provider!r} is not available here.")
    # An API request carries no session (apps.core.middleware.for_people): social-core gets a
    # throwaway one, never saved, as a native app has no browser session to keep state in.
    strategy = load_strategy()
    strategy.request = request
    backend = strategy.get_backend(provider, redirect_uri=None)
    if not isinstance(backend, SUPPORTED):
        raise ExchangeError(
            400,
            "unsupported_provider",
            f"{known.title} tokens cannot be exchanged; use the authorization code flow.",
        )
    if id_token and not isinstance(backend, GoogleOAuth2):
        raise ExchangeError(400, "unsupported_provider", f"{known.title} ID tokens are not accepted here.")
    try:
        if id_token:
            # The ID token's claims are the profile: social-core's pipeline takes them as the
            # response, as after its own userinfo call (there is no access token to make one).
            claims = _check_google_id_token(backend, id_token)
            user = backend.strategy.authenticate(backend=backend, response=claims, **{TOKEN_EXCHANGE: True})
        else:
            response: dict[str, Any] = {}
            if code and redirect_uri:
                access_token, response = _exchange_code(
                    backend, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
                )
            else:
                _check_token_audience(backend, access_token)
            user = backend.do_auth(access_token, response=response, **{TOKEN_EXCHANGE: True})
    except SocialAuthBaseException as error:
        raise _as_exchange_error(error, known.title) from error
    if not isinstance(user, User):
        raise ExchangeError(401, "invalid_grant", f"Signing in with {known.title} did not work.")
    return user


def _check_login_allowed(user: User) -> None:
    """What allauth's login stages would ask for, a native exchange cannot: refuse instead."""
    if not user.is_active:
        raise ExchangeError(403, "access_denied", "This account is disabled.")
    if is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]):
        raise ExchangeError(
            403,
            "interaction_required",
            "This account uses two-factor authentication: "
            "sign in through the browser (authorization code flow).",
        )
    if not has_verified_email(user):
        raise ExchangeError(
            403,
            "interaction_required",
            "Confirm the account's email address first: sign in through the browser once.",
        )


def granted_scopes(application: Application, requested: str) -> list[str]:
    """The requested scopes (or the defaults) that DOT's scopes backend allows this client."""
    scopes = get_scopes_backend()
    available = scopes.get_available_scopes(application=application)
    wanted = set(requested.split()) if requested else set(scopes.get_default_scopes(application=application))
    granted = [name for name in available if name in wanted]
    if not granted:
        raise ExchangeError(400, "invalid_scope", "None of the requested scopes is allowed for this client.")
    return granted


def issue_tokens(*, request: HttpRequest, user: User, application: Application, scopes: list[str]) -> dict:
    """Access and refresh token through DOT's validator, as its token endpoint would save them."""
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    server_kwargs = oauth2_settings.server_kwargs
    bearer = BearerToken(
        validator,
        token_generator=server_kwargs["token_generator"],
        expires_in=server_kwargs["token_expires_in"],
        refresh_token_generator=server_kwargs["refresh_token_generator"],
    )
    # The headers DOT would pass from request.META; the validator's audit reads these two.
    headers = {name: request.META.get(name, "") for name in ("REMOTE_ADDR", "HTTP_USER_AGENT")}
    oauth_request = OauthlibRequest(request.build_absolute_uri(), http_method="POST", headers=headers)
    oauth_request.client = application
    oauth_request.client_id = application.client_id
    oauth_request.user = user
    oauth_request.scopes = scopes
    oauth_request.grant_type = GRANT_TYPE
    with transaction.atomic():
        # Read by GatehouseValidator._create_refresh_token, as after a spent authorization code.
        oauth_request._gatehouse_family = token_exchange.start_token_family(
            user=user, application=application
        )
        token = bearer.create_token(oauth_request, refresh_token=True)
        validator.save_bearer_token(token, oauth_request)
    return dict(token)


def _remember_consent(
    *, request: HttpRequest, user: User, application: Application, scopes: list[str]
) -> None:
    """So the app and its tokens show up (and can be revoked) under Connected apps."""
    consent = Consent.objects.filter(user=user, application=application).first()
    if consent is not None and consent.covers(scopes):
        mark_consent_used(consent=consent)
    else:
        record_consent(
            user=user,
            application=application,
            scopes=scopes,
            remember=Consent.Remember.FOREVER,
            request=request,
        )


def exchange(
    request: HttpRequest,
    *,
    provider: str,
    application: Application,
    access_token: str = "",
    code: str = "",
    redirect_uri: str = "",
    code_verifier: str = "",
    scope: str = "",
) -> dict:
    """Gatehouse tokens for the person behind a provider token; raises ExchangeError."""
    scopes = granted_scopes(application, scope)
    user = _sign_in(
        request,
        provider=provider,
        access_token=access_token,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
    )
    _check_login_allowed(user)
    tokens = issue_tokens(request=request, user=user, application=application, scopes=scopes)
    _signed_in(request, provider=provider, user=user, application=application, scopes=scopes)
    return tokens


def _signed_in(request: HttpRequest, *, provider: str, user: User, application: Application, scopes) -> None:
    _remember_consent(request=request, user=user, application=application, scopes=scopes)
    record(
        AuditEvent.Kind.SOCIAL_SIGNED_IN,
        user=user,
        request=request,
        provider=provider,
        client_id=application.client_id,
        via="token_exchange",
    )


# Each attempt costs calls to the provider: per client address, as on the older API path.
PROVIDER_EXCHANGES_PER_MINUTE = 30
# RFC 8693 2.2.2: a subject token that is invalid or unacceptable is `invalid_request`.
_GRANT_ERRORS = {"invalid_grant": ("invalid_request", 400), "unsupported_provider": ("invalid_request", 400)}


class ProviderSubjects:
    """The social providers' access tokens as RFC 8693 subject tokens (`subject_issuer` is the
    provider's name, as in /api/auth/social/<provider>/), for apps.oauth.token_exchange."""

    def issuers(self) -> tuple[str, ...]:
        return tuple(backend.name for backend in SUPPORTED)

    def authenticate(self, django_request: HttpRequest, *, issuer: str, token: str, token_type: str) -> User:
        id_token = token_type == token_exchange.ID_TOKEN_TYPE and issuer == GoogleOAuth2.name
        if token_type != token_exchange.ACCESS_TOKEN_TYPE and not id_token:
            raise token_exchange.TokenExchangeError(
                "invalid_request",
                f"Send the provider's access token, as {token_exchange.ACCESS_TOKEN_TYPE} "
                f"(Google's ID tokens too, as {token_exchange.ID_TOKEN_TYPE}).",
            )
        address = client_ip(django_request) or ""
        if retry_after := consume(
            f"token-exchange:provider:{digest(address)}", limit=PROVIDER_EXCHANGES_PER_MINUTE
        ):
            raise token_exchange.TokenExchangeError(
                "rate_limited",
                "Too many sign-in attempts from this address; try again later.",
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        try:
            user = _sign_in(
                django_request,
                provider=issuer,
                access_token="" if id_token else token,
                id_token=token if id_token else "",
                code="",
                redirect_uri="",
                code_verifier="",
            )
            _check_login_allowed(user)
        except ExchangeError as error:
            code, status = _GRANT_ERRORS.get(error.error, (error.error, error.status))
            raise token_exchange.TokenExchangeError(code, error.description, status=status) from error
        return user

    def signed_in(self, django_request: HttpRequest, *, issuer: str, user, application, scopes) -> None:
        _signed_in(django_request, provider=issuer, user=user, application=application, scopes=scopes)

"""OAuth 2.0 Token Exchange (RFC 8693) as an oauthlib grant at the token endpoint.

Two kinds of subject token are exchanged, told apart by `subject_issuer` (RFC 8693 leaves how
an authorization server recognises a subject token's issuer open; this is the parameter
Keycloak's external-to-internal exchange uses):

- without it, a live Gatehouse access token: a confidential client trades it for a narrower
  one (scope a subset of the subject's, same user, lifetime within the subject's, an RFC 8707
  `resource` as audience). Each is recorded beside its subject (`TokenExchange`), and goes
  with it whenever the subject is revoked or deleted;
- with `subject_issuer` naming a social provider (`google-oauth2`, `github`, `facebook`), that
  provider's access token: a public (native) client signs its user in, with the checks of the
  browser flow (apps.social.native, wired through `GATEHOUSE_TOKEN_EXCHANGE_EXTERNAL_SUBJECTS`,
  so this app never imports apps.social).

Tokens come from oauthlib's token handler and are saved by the validator's
`save_bearer_token`, hashed, like every other grant's.
"""

import hashlib
import json
import secrets
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from oauth2_provider.models import get_access_token_model
from oauthlib.oauth2.rfc6749 import errors, utils
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase
from oauthlib.openid import Server

from apps.oauth.models import Application, TokenExchange, TokenFamily
from apps.oauth.tokencache import load_access_token

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
# What may be asked for and what is issued: access tokens only (RFC 8693 3).
REQUESTED_TOKEN_TYPES = (ACCESS_TOKEN_TYPE,)
# Parameters that name one thing each: a repeat is a malformed request (RFC 6749 3.2).
SINGLE_PARAMETERS = (
    "grant_type",
    "scope",
    "subject_token",
    "subject_token_type",
    "subject_issuer",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
    "audience",
)

# The Django request being answered, for what social-core needs of it (set by the backend core).
AccessToken = get_access_token_model()

_django_request: ContextVar[HttpRequest | None] = ContextVar("gatehouse_token_exchange_request", default=None)


@contextmanager
def serving(request: HttpRequest):
    """Make the Django request of this token request known to an external subject's checks."""
    context = _django_request.set(request)
    try:
        yield
    finally:
        _django_request.reset(context)


class TokenExchangeError(errors.OAuth2Error):
    """An error with its own code, status and headers (RFC 8693 2.2.2, or a provider's outage)."""

    def __init__(self, error: str, description: str, *, status: int = 400, headers=None, request=None):
        self.error = error
        self._extra_headers = dict(headers or {})
        super().__init__(description=description, status_code=status, request=request)

    @property
    def headers(self):
        return {**super().headers, **self._extra_headers}


class ExternalSubjects(Protocol):
    """Signs a person in with another issuer's token (apps.social.native.ProviderSubjects)."""

    def issuers(self) -> tuple[str, ...]: ...

    def authenticate(self, django_request: HttpRequest, *, issuer: str, token: str, token_type: str):
        """The active user the token proves; raises TokenExchangeError."""

    def signed_in(self, django_request: HttpRequest, *, issuer: str, user, application, scopes) -> None:
        """After the tokens are saved: consent for Connected apps, and the audit event."""


@cache
def external_subjects() -> ExternalSubjects | None:
    path = getattr(settings, "GATEHOUSE_TOKEN_EXCHANGE_EXTERNAL_SUBJECTS", "")
    return import_string(path)() if path else None


def _param(request, name: str) -> str | None:
    """A request parameter; oauthlib's attribute access raises for names it does not know."""
    value = request._params.get(name)
    return value if isinstance(value, str) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenExchangeGrant(GrantTypeBase):
    """RFC 8693 2.1 request, 2.2 response, through oauthlib's validator and token handler."""

    def create_token_response(self, request, token_handler):
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
            subject = self._stash(request, "_gatehouse_exchange_subject")
            # A native sign-in starts a refresh-token family, as today; a downscoped token never
            # outlives its subject, so it comes without one.
            token = token_handler.create_token(request, refresh_token=subject is None)
            if subject is not None:
                remaining = int((subject.expires - timezone.now()).total_seconds())
                token["expires_in"] = max(1, min(int(token["expires_in"]), remaining))
            token["issued_token_type"] = ACCESS_TOKEN_TYPE
            for modifier in self._token_modifiers:
                token = modifier(token)
            self.request_validator.save_token(token, request)
            self._after_issue(request, token, subject)
        except errors.OAuth2Error as error:
            headers.update(error.headers)
            return headers, error.json, error.status_code
        return headers, json.dumps(token), 200

    @staticmethod
    def _stash(request, name):
        return vars(request).get(name)

    def validate_token_request(self, request):
        for validator in self.custom_validators.pre_token:
            validator(request)
        if request.grant_type != GRANT_TYPE:
            raise errors.UnsupportedGrantTypeError(request=request)
        for param in SINGLE_PARAMETERS:
            if param in request.duplicate_params:
                raise errors.InvalidRequestError(description=f"Duplicate {param} parameter.", request=request)
        for param in ("subject_token", "subject_token_type"):
            if not _param(request, param):
                raise errors.InvalidRequestError(
                    description=f"The {param} parameter is required.", request=request
                )
        if _param(request, "actor_token") or _param(request, "actor_token_type"):
            raise errors.InvalidRequestError(
                description="Delegation (actor_token) is not supported: exchange the subject token alone.",
                request=request,
            )
        requested = _param(request, "requested_token_type")
        if requested and requested not in REQUESTED_TOKEN_TYPES:
            raise errors.InvalidRequestError(
                description=f"Only {ACCESS_TOKEN_TYPE} tokens are issued here.", request=request
            )
        issuer = _param(request, "subject_issuer")
        self._authenticate_client(request)
        # DOT's validate_grant_type knows only its own grants: ask the app (its grant_types).
        if not request.client.allows_grant_type(GRANT_TYPE):
            raise errors.UnauthorizedClientError(request=request)
        if issuer:
            self._validate_external_subject(request, issuer)
        else:
            self._validate_gatehouse_subject(request)
        for validator in self.custom_validators.post_token:
            validator(request)

    def _authenticate_client(self, request):
        validator = self.request_validator
        if validator.client_authentication_required(request):
            if not validator.authenticate_client(request):
                raise errors.InvalidClientError(request=request)
        elif not validator.authenticate_client_id(request.client_id, request):
            raise errors.InvalidClientError(request=request)
        if not isinstance(request.client, Application):
            raise errors.InvalidClientError(request=request)
        request.client_id = request.client_id or request.client.client_id

    # --- A Gatehouse access token, downscoped -------------------------------------------

    def _validate_gatehouse_subject(self, request):
        client = request.client
        if client.client_type != Application.CLIENT_CONFIDENTIAL:
            raise errors.UnauthorizedClientError(
                description="Only confidential clients may exchange Gatehouse access tokens.", request=request
            )
        if request.subject_token_type != ACCESS_TOKEN_TYPE:
            raise errors.InvalidRequestError(
                description=f"A Gatehouse subject token must be an access token ({ACCESS_TOKEN_TYPE}); "
                "name the issuer of any other in subject_issuer.",
                request=request,
            )
        # Read from the database, not the token cache, and locked until the token request's
        # transaction ends (TokenView): a revocation of the subject running now waits, then
        # finds the exchanged token and revokes it too.
        subject = (
            AccessToken.objects.select_for_update(of=("self",))
            .select_related("user", "application")
            .filter(token_checksum=_digest(request.subject_token))
            .first()
        )
        if not self._subject_is_live(subject):
            # RFC 8693 2.2.2: an invalid or unacceptable subject_token is invalid_request.
            raise errors.InvalidRequestError(
                description="The subject token is not an active access token.", request=request
            )
        # Resource servers (staff-marked) exchange the tokens presented to them; any other
        # client only the tokens it holds.
        if subject.application_id != client.pk and not client.is_resource_server:
            raise errors.InvalidRequestError(
                description="This client may not exchange a token issued to another client.", request=request
            )
        self._narrow_scopes(request, subject)
        self._set_audience(request)
        request.user = subject.user
        request._gatehouse_exchange_subject = subject
        request._gatehouse_audit = {
            "token_exchange": "downscoped",
            "subject_client_id": subject.application.client_id,
            **({"resource": request.resource} if request.resource else {}),
        }

    @staticmethod
    def _subject_is_live(subject) -> bool:
        if subject is None or subject.user is None or not subject.is_valid():
            return False
        if not subject.user.is_active or subject.application is None:
            return False
        return not subject.application.suspended

    def _narrow_scopes(self, request, subject):
        held = subject.scope.split()
        wanted = utils.scope_to_list(request.scope) or held
        if not set(wanted) <= set(held):
            raise errors.InvalidScopeError(
                description="The requested scope exceeds the subject token's scope.", request=request
            )
        request.scopes = [name for name in held if name in wanted]

    def _set_audience(self, request):
        """RFC 8693 `audience` here is a resource URI, like RFC 8707 `resource` (which DOT
        checks and stores as the token's `aud`): no logical audience names are registered."""
        audience = _param(request, "audience")
        resource = getattr(request, "resource", None)
        if audience and resource and audience != resource:
            raise TokenExchangeError(
                "invalid_target", "Send the target as audience or as resource, not both.", request=request
            )
        if audience and not resource:
            request.resource = audience
        # DOT validates each resource when saving; do it now so nothing is issued first.
        self.request_validator._check_and_set_request_resource(request)

    # --- A social provider's token: native sign-in ----------------------------------------

    def _validate_external_subject(self, request, issuer):
        subjects = external_subjects()
        if subjects is None or issuer not in subjects.issuers():
            raise TokenExchangeError(
                "invalid_request", f"Tokens issued by {issuer!r} are not accepted here.", request=request
            )
        if request.client.client_type != Application.CLIENT_PUBLIC:
            raise errors.UnauthorizedClientError(
                description="Only public (native) clients may exchange provider tokens; "
                "confidential clients use the authorization code flow.",
                request=request,
            )
        if _param(request, "audience") or getattr(request, "resource", None):
            raise TokenExchangeError(
                "invalid_target",
                "A native sign-in is for this client only: omit audience and resource.",
                request=request,
            )
        self.validate_scopes(request)
        django_request = _django_request.get()
        if django_request is None:
            raise errors.ServerError(
                description="Token exchange outside the token endpoint.", request=request
            )
        request.user = subjects.authenticate(
            django_request, issuer=issuer, token=request.subject_token, token_type=request.subject_token_type
        )
        # Like a spent authorization code: the refresh tokens of this sign-in end together.
        request._gatehouse_family = start_token_family(user=request.user, application=request.client)
        request._gatehouse_audit = {"token_exchange": "native_sign_in", "provider": issuer}

    def _after_issue(self, request, token, subject) -> None:
        if subject is not None:
            derived = load_access_token(_digest(token["access_token"]))
            TokenExchange.objects.create(exchanged_token_id=derived.pk, subject_id=subject.pk)
            return
        external_subjects().signed_in(
            _django_request.get(),
            issuer=request.subject_issuer,
            user=request.user,
            application=request.client,
            scopes=request.scopes,
        )


def start_token_family(*, user, application):
    """A refresh-token family for a sign-in without a code, ending at the family's absolute
    expiry however often it rotates (apps.oauth.validators)."""
    now = timezone.now()
    return TokenFamily.objects.create(
        application=application,
        user=user,
        code_hash=_digest(f"token-exchange:{secrets.token_urlsafe(32)}"),
        family=uuid.uuid4(),
        auth_time=now,
        expires=now + timedelta(seconds=settings.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS),
    )


class GatehouseServer(Server):
    """oauthlib's OpenID Connect server (DOT's default with OIDC on), plus RFC 8693."""

    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.token_exchange_grant = TokenExchangeGrant(request_validator)
        self.grant_types[GRANT_TYPE] = self.token_exchange_grant

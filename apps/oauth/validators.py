"""Gatehouse's OAuth2Validator: DOT's, plus where our model and policy differ.

Each override is one of oauthlib's or DOT's documented validator hooks. State that a hook
leaves for a later one goes into the oauthlib request's own attributes (`_gatehouse_*`),
read back with `_stash`, never with `getattr`: oauthlib exposes every request parameter as
an attribute, so a client could otherwise smuggle a value in under the same name.
"""

import hashlib
import json
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.http.request import HttpHeaders
from django.utils import timezone
from jwcrypto import jwk
from jwcrypto.common import JWException
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from apps.accounts.models import Profile
from apps.accounts.sessions import browser_session_id
from apps.audit.models import AuditEvent
from apps.audit.services import client_ip, record
from apps.core import stamps
from apps.oauth import client_assertion, dpop, fapi, resource_server, resources, supported, token_exchange
from apps.oauth.models import Application, Digest, TokenFamily
from apps.oauth.secrets import check_client_secret, load_client
from apps.oauth.tokencache import load_access_token

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
DeviceGrant = get_device_grant_model()
Grant = get_grant_model()

# Scopes about a person: meaningless (and unanswerable at userinfo) for a client acting as itself.
IDENTITY_SCOPES = frozenset({"openid", "profile", "email"})

# A client acting as itself (client credentials) may take a token per request: the security
# log gets the first token of each client, address and scope per hour, the developer console
# counts every one (apps.developer TokenCount). A new address or scope is always an event.
MACHINE_TOKEN_AUDIT_SECONDS = 3600
MACHINE_TOKEN_NOTE = "Further tokens for the same address and scope within an hour are counted, not listed"

# Epoch seconds of the session's last sign-in, kept by the consent screen on every login.
SESSION_AUTH_TIME_KEY = "gatehouse_auth_time"
# The oauthlib request whose client is authenticating, for `_check_secret` (see there).
_authenticating = ContextVar("gatehouse_authenticating_request", default=None)
# The ID token this grant just signed and saved, while DOT creates its access token (see there).
_issued_id_token = ContextVar("gatehouse_issued_id_token", default=(None, None))


def code_hash(code: str) -> str:
    """SHA-256 of a code; a code read back from the database (a `Digest`) is one already."""
    return code if isinstance(code, Digest) else hashlib.sha256(code.encode()).hexdigest()


def session_auth_time(request: HttpRequest) -> datetime | None:
    """When the signed-in user of this browser session last really authenticated.

    The session knows: allauth records every password, passkey, MFA and re-authentication
    step, and the consent screen notes each login of any kind (apps.oauth.consent). Failing
    those, allauth.usersessions knows when the session began. `last_login` comes last: it
    moves whenever the user signs in on *another* device, so it would claim a fresher
    sign-in than this session had (OIDC Core 2, auth_time).
    """
    user = request.user
    if not user.is_authenticated:
        return None
    stamps = [r.get("at") for r in get_authentication_records(request, user)]
    stamps = [s for s in [*stamps, request.session.get(SESSION_AUTH_TIME_KEY)] if isinstance(s, int | float)]
    if stamps:
        return datetime.fromtimestamp(max(stamps), tz=UTC)
    started = None
    if request.session.session_key:
        started = (
            UserSession.objects.filter(session_key=request.session.session_key, user_id=user.pk)
            .values_list("created_at", flat=True)
            .first()
        )
    return started or user.last_login


def _stash(request, name: str):
    """An attribute a validator hook set on the oauthlib request (never a request parameter)."""
    return vars(request).get(name)


def _audit_request(request) -> SimpleNamespace:
    """What `record()` reads from a Django request, taken from the oauthlib request's headers."""
    headers = request.headers or {}
    meta = {
        name: headers.get(name, "")
        for name in ("REMOTE_ADDR", "HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR")
        if headers.get(name)
    }
    return SimpleNamespace(META=meta, headers=HttpHeaders(meta))


def _first_machine_token(request, audit_request, scope: str) -> bool:
    """Whether this client-credentials token is the first of its client, address and scope
    within MACHINE_TOKEN_AUDIT_SECONDS. A lost cache key means one event too many, never one too few."""
    seen = f"{request.client.client_id}|{client_ip(audit_request) or ''}|{scope}"
    key = "audit:machine-token:" + hashlib.sha256(seen.encode()).hexdigest()
    return stamps.first_in_period(key, MACHINE_TOKEN_AUDIT_SECONDS)


def _signing_client(application):
    """Gatehouse signs every ID token with its RSA key, whatever the app row says (HS256 would
    need the plain client secret, which we never keep)."""
    if application is not None and application.algorithm != Application.RS256_ALGORITHM:
        application.algorithm = Application.RS256_ALGORITHM
    return application


def revoke_token_family(family: uuid.UUID) -> int:
    """Revoke every access, refresh and ID token of one refresh-token family; return how many."""
    refresh_tokens = RefreshToken.objects.filter(token_family=family)
    access_ids = list(refresh_tokens.exclude(access_token=None).values_list("access_token_id", flat=True))
    id_token_ids = list(
        AccessToken.objects.filter(pk__in=access_ids, id_token__isnull=False).values_list(
            "id_token_id", flat=True
        )
    )
    count = len(access_ids) + refresh_tokens.filter(revoked__isnull=True).count() + len(id_token_ids)
    # Deleting an ID token cascades to its access token; revoke_family does the rest.
    IDToken.objects.filter(pk__in=id_token_ids).delete()
    RefreshToken.revoke_family(family)
    return count


def _picture(request) -> str | None:
    avatar = _profile(request).avatar
    if not avatar:
        return None
    issuer = urlsplit(oauth2_settings.oidc_issuer(request))
    return urljoin(f"{issuer.scheme}://{issuer.netloc}/", avatar.url)


def _profile(request) -> Profile:
    profile = _stash(request, "_gatehouse_profile")
    if profile is None:
        profile = request._gatehouse_profile = Profile.objects.for_user(request.user)
    return profile


def _email_verified(request) -> bool:
    return EmailAddress.objects.filter(
        user=request.user, email__iexact=request.user.email, verified=True
    ).exists()


class GatehouseOAuthLibCore(OAuthLibCore):
    """DOT's bridge to oauthlib, handing the validator what only the Django request knows."""

    def extract_headers(self, request):
        headers = super().extract_headers(request)
        # RFC 7235: the auth scheme is case-insensitive; DOT only recognises "Basic".
        scheme, _, credentials = headers.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() == "basic" and scheme != "Basic":
            headers["HTTP_AUTHORIZATION"] = headers["Authorization"] = f"Basic {credentials.strip()}"
        return dpop.as_bearer(headers)  # RFC 9449 7.1: `Authorization: DPoP <token>`

    # DPoP: the validator checks a token's proof against the Django request (apps.oauth.dpop).
    def verify_request(self, request, scopes):
        with dpop.resource_request(request):
            return super().verify_request(request, scopes)

    def create_userinfo_response(self, request):
        with dpop.resource_request(request):
            return super().create_userinfo_response(request)

    def create_authorization_response(self, request, scopes, credentials, allow):
        # Set even when None, so a request parameter of the same name can never stand in.
        credentials = {**credentials, "_gatehouse_auth_time": session_auth_time(request) if allow else None}
        # Back-channel logout: the browser session the approval happens in (its `sid`).
        credentials["_gatehouse_sid"] = browser_session_id(request.session) if allow else None
        return super().create_authorization_response(request, scopes, credentials, allow)

    def create_token_response(self, request):
        # A token exchange checks a provider's token through social-core, which needs the request.
        with token_exchange.serving(request):
            return super().create_token_response(request)


class GatehouseValidator(OAuth2Validator):
    # Claims are released by scope (DOT filters on `oidc_claim_scope`), the same in the ID
    # token and at userinfo, because both read this request-agnostic mapping.
    def get_additional_claims(self):
        return {
            "name": lambda r: r.user.display_name,
            "preferred_username": lambda r: r.user.username,
            "picture": _picture,
            "website": lambda r: _profile(r).website or None,
            # OIDC Core 5.1 (with `profile`): the saved language; none when it follows the browser.
            "locale": lambda r: _profile(r).language or None,
            "email": lambda r: r.user.email or None,
            "email_verified": _email_verified,
        }

    def get_oidc_claims(self, token, token_handler, request):
        # OIDC Core 5.3.2: a claim with no value is omitted, not sent as null or "".
        claims = super().get_oidc_claims(token, token_handler, request)
        return {name: value for name, value in claims.items() if value not in (None, "")}

    def get_discovery_claims(self, request):
        return [
            *super().get_discovery_claims(request),
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
        ]

    # --- Client authentication: ClientSecret rows, never Application.client_secret --------

    def authenticate_client(self, request, *args, **kwargs):
        # DOT parses Basic and body credentials and loads the client, then compares the
        # secret in `_check_secret`, which is not told which client it is for. Overriding the
        # parsing instead would copy DOT's; tests/oauth/test_validator_hooks.py pins this path.
        if client_assertion.presented(request):
            # private_key_jwt (RFC 7523, OIDC Core 9): apps.oauth.client_assertion decides.
            return client_assertion.authenticate(request, load_client=self._load_application)
        token = _authenticating.set(request)
        try:
            return super().authenticate_client(request, *args, **kwargs)
        finally:
            _authenticating.reset(token)

    def client_authentication_required(self, request, *args, **kwargs):
        # An assertion may name its client in `sub` alone (RFC 7523 3.2): it is authentication.
        if client_assertion.presented(request):
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def _load_application(self, client_id, request):
        # DOT reuses a request.client it finds: load it ours, with owner and secrets in the
        # same SELECT. CIMD clients are left to DOT, which may re-fetch their metadata.
        if client_id and getattr(request.client, "client_id", None) != client_id:
            try:
                client = load_client(client_id)
            except ValueError:  # a NUL byte PostgreSQL cannot even be asked about
                client = None
            if client is not None and client.registration_source != Application.RegistrationSource.CIMD:
                request.client = client
        return super()._load_application(client_id, request)

    def _check_secret(self, provided_secret, stored_secret):
        """Any of the client's live secrets authenticates it (rotation without downtime)."""
        request = _authenticating.get()
        application = getattr(request, "client", None) if request is not None else None
        if not isinstance(application, Application) or not provided_secret:
            return False
        if fapi.client_auth_method(application) == supported.PRIVATE_KEY_JWT:
            return False  # it proves itself with its key; a leftover secret must not stand in
        return check_client_secret(application=application, value=provided_secret)

    # --- Bearer tokens: from the shared cache; a suspended app's or locked account's stop ---

    def _load_access_token(self, token):
        """DOT's lookup by checksum (what `validate_bearer_token` checks), through the shared
        cache: no SQL on a hit, one statement on a miss; revocation invalidates it at once."""
        return load_access_token(code_hash(token))

    def _get_token_from_authentication_server(self, token, url, bearer, credentials):
        """Resource-server mode: DOT's introspection, then the token's DPoP binding, which
        DOT's copy of the answer leaves out (RFC 9449 6.2); unknowable means refused."""
        access_token = super()._get_token_from_authentication_server(token, url, bearer, credentials)
        if access_token is not None and not dpop.learn_introspected_binding(
            access_token, token, url, bearer, credentials
        ):
            return None
        return access_token

    def validate_bearer_token(self, token, scopes, request):
        """DOT's check, which refuses a suspended app's tokens (`Application.is_usable`), then
        the token's user, loaded with it: a locked account's tokens stop without being revoked.

        Both flags are read from the objects loaded with the token, so a cache of access tokens
        must be invalidated when an application or user is saved.
        """
        if not super().validate_bearer_token(token, scopes, request):
            return False
        user = request.access_token.user
        if user is not None and not user.is_active:
            request.access_token = request.user = request.client = None
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is invalid.",
            }
            return False
        try:
            dpop.check_resource(token, request.access_token)  # RFC 9449 7: bound tokens need a proof
        except dpop.DPoPError as refused:
            request.access_token = request.user = request.client = None
            request.oauth2_error = {"error": refused.error, "error_description": refused.description}
            return False
        return True

    def validate_jwt_bearer_token(self, token, scopes, request):
        """oauthlib's OIDC server routes a bearer token that looks like a JWT here: ours are
        JWT access tokens (apps.oauth.jwt_tokens), stored and checked like any other; a
        resource server given its audience checks them itself (apps.oauth.resource_server)."""
        if resource_server.enabled():
            return resource_server.validate(token, scopes, request, self)
        return self.validate_bearer_token(token, scopes, request)

    # --- Grants that do not exist -------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        """DOT lets any grant refresh; only the grants that issue refresh tokens may, so turning
        the authorization-code and device grants off also ends the refresh tokens they issued."""
        dpop.enforce_token_policy(client, request)  # RFC 9449 5, 8: an app's DPoP and nonce rules
        if grant_type == "refresh_token":
            return client.allows_grant_type(*supported.REFRESHING_GRANTS)
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_user(self, username, password, client, *args, **kwargs):
        """No password grant (RFC 9700 2.4); oauthlib asks this before checking the grant type."""
        return False

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if request.grant_type == "client_credentials" and IDENTITY_SCOPES & set(scopes):
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        scopes = super().get_default_scopes(client_id, request, *args, **kwargs)
        if request.grant_type == "client_credentials":
            scopes = [scope for scope in scopes if scope not in IDENTITY_SCOPES]
        return scopes

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        """Simple string comparison (OIDC Core 3.1.2.1, RFC 9700 2.1): DOT compares host and
        scheme case-insensitively. Only a loopback URI's port may differ (RFC 8252 7.3)."""
        if not super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs):
            return False
        return supported.redirect_uri_registered(redirect_uri, request.client.redirect_uris.split())

    # --- Authorization codes: auth_time, single use, replay revokes -----------------------

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        default = oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
        if (lifetime := fapi.code_lifetime_seconds(request.client, default)) < default:
            # FAPI 2.0 5.3.2.1: a shorter life than DOT's setting gives every code.
            Grant.objects.filter(code=code["code"]).update(
                expires=timezone.now() + timedelta(seconds=lifetime)
            )
        auth_time = _stash(request, "_gatehouse_auth_time") or request.user.last_login or timezone.now()
        TokenFamily.objects.create(
            application=request.client,
            user=request.user,
            code_hash=code_hash(code["code"]),
            auth_time=auth_time,
            # Only an ID token signs someone in to the app (OIDC Back-Channel Logout 2.1).
            sid=(_stash(request, "_gatehouse_sid") or "") if "openid" in request.scopes else "",
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        # Locked until the token request's transaction ends (TokenView), before DOT reads the
        # code: concurrent exchanges of one code queue here, and each after the first finds it
        # spent, with the first one's tokens committed for `_refuse_replay` to revoke.
        family = (
            TokenFamily.objects.select_for_update()
            .filter(code_hash=code_hash(code), application=client)
            .first()
        )
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if family is not None and family.family is not None:
            # Exchanged already (DOT deleted the code) or being exchanged right now: a replay.
            self._refuse_replay(family, request, what="authorization_code")
            return False
        if not valid:
            return False
        if family is None:  # a code issued before Gatehouse kept these records
            family = TokenFamily.objects.create(
                application=client,
                user=request.user,
                code_hash=code_hash(code),
                auth_time=self._fallback_auth_time(request),
            )
        request._gatehouse_code_family = family
        return True

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        """The last check oauthlib makes on a code exchange, after PKCE: the code is spent here,
        so a wrong verifier or redirect URI leaves it for the rightful client to retry.

        The redirect URI is required (OAuth 2.1 4.1.3): oauthlib would fill in the registered one.
        """
        family = _stash(request, "_gatehouse_code_family")
        if family is None or _stash(request, "using_default_redirect_uri") is not False:
            return False
        if not super().confirm_redirect_uri(client_id, code, redirect_uri, client, request, *args, **kwargs):
            return False
        if not self._spend(family, request, what="authorization_code"):
            # Spent by another exchange: that is a replay (invalid_grant), not a wrong redirect URI.
            raise errors.InvalidGrantError(request=request)
        return True

    def _spend(self, family: TokenFamily, request, *, what: str) -> bool:
        """Claim the code for this exchange, atomically: a second claim is a replay."""
        claim = uuid.uuid4()
        expires = timezone.now() + timedelta(seconds=settings.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS)
        if not TokenFamily.objects.filter(pk=family.pk, family__isnull=True).update(
            family=claim, expires=expires
        ):
            family.refresh_from_db()
            self._refuse_replay(family, request, what=what)
            return False
        family.family, family.expires = claim, expires
        request._gatehouse_family = family
        return True

    def _refuse_replay(self, family: TokenFamily, request, *, what: str) -> None:
        """RFC 6749 4.1.2 / RFC 9700 4.14.2: revoke everything the spent code or token produced."""
        revoked = revoke_token_family(family.family) if family.family else 0
        if what == "refresh_token" and not revoked:
            return  # a member of a family already revoked, presented again: nothing new to report
        record(
            AuditEvent.Kind.TOKEN_REUSE,
            user=family.user,
            request=_audit_request(request),
            client_id=family.application.client_id,
            replayed=what,
            tokens_revoked=revoked,
        )

    def _fallback_auth_time(self, request):
        user = request.user
        return getattr(user, "last_login", None) or timezone.now()

    # --- Refresh tokens: reuse revokes the family, which ends at an absolute time --------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        # Locked until the token request's transaction ends (TokenView): concurrent refreshes
        # with one token queue here, and each finds it rotated by the one before, which is
        # reuse. DOT locks it only when saving, after validating; a refresh that waited there
        # met a rotated token and answered with the new pair, whose plaintext we never keep.
        presented = (
            RefreshToken.objects.select_for_update()
            .annotate(dpop_jkt=dpop.refresh_token_jkt())  # its DPoP binding, in the same statement
            .filter(token_checksum=code_hash(refresh_token))
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        reuse_protection = oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION
        if (
            reuse_protection
            and presented is not None
            and presented.revoked is not None
            and presented.token_family
        ):
            # DOT refuses this and revokes the family's refresh and access tokens; do it first
            # so its ID tokens go too, and say so in the audit trail. Same test as DOT's: only
            # a token superseded within the grace period may be presented again.
            grace = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS or 0)
            superseded = AccessToken.objects.filter(source_refresh_token=presented).exists()
            if presented.revoked <= timezone.now() - grace or not superseded:
                family = (
                    TokenFamily.objects.filter(family=presented.token_family).select_related("user").first()
                )
                self._refuse_replay(
                    family
                    or TokenFamily(family=presented.token_family, user=presented.user, application=client),
                    request,
                    what="refresh_token",
                )
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        rt = request.refresh_token_instance
        if rt.user is not None and not rt.user.is_active:
            return False  # staff locked the account: no new tokens until they unlock it
        # RFC 9449 5: a bound refresh token needs a proof by the same key.
        dpop.check_refresh_token_binding(
            presented if getattr(presented, "pk", None) == rt.pk else rt, request
        )
        family = TokenFamily.objects.filter(family=rt.token_family).first() if rt.token_family else None
        # The record says when the family ends; without it (swept by cleartokenfamilies, which
        # keeps it only a token lifetime past that end) the family has ended.
        if family is None or (family.expires is not None and family.expires <= timezone.now()):
            return False
        request._gatehouse_family = family
        return True

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        family = _stash(request, "_gatehouse_family")
        if (
            previous_refresh_token is None
            and family is not None
            and family.family != refresh_token.token_family
        ):
            # A new family starts with the code or device that was spent for it.
            RefreshToken.objects.filter(pk=refresh_token.pk).update(token_family=family.family)
            refresh_token.token_family = family.family
        dpop.bind_refresh_token(refresh_token, request)  # public clients' (RFC 9449 5)
        return refresh_token

    # --- Device authorization grant (RFC 8628) ------------------------------------------

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """RFC 8628 3.5: the device's status, for this client only; a spent code is a replay."""
        grant = DeviceGrant.objects.filter(device_code=code).first()
        if grant is None or grant.client_id != request.client.client_id:
            return None
        if grant.is_expired():
            return DeviceCodeGrant.DEVICE_CODE_EXPIRED
        if grant.status == grant.DENIED:
            return DeviceCodeGrant.DEVICE_CODE_DENIED
        if grant.status == grant.AUTHORIZATION_PENDING:
            # A second of slack for network jitter around a client that waits exactly `interval`.
            too_soon = grant.last_checked > timezone.now() - timedelta(seconds=max(grant.interval - 1, 1))
            grant.save(update_fields=["last_checked"])
            return DeviceCodeGrant.DEVICE_CODE_SLOW_DOWN if too_soon else DeviceCodeGrant.DEVICE_CODE_PENDING
        if grant.status != grant.AUTHORIZED or grant.user is None:
            return None
        family = TokenFamily.objects.filter(code_hash=code_hash(code)).first()
        if family is None:
            family = TokenFamily.objects.create(
                application=request.client,
                user=grant.user,
                code_hash=code_hash(code),
                auth_time=timezone.now(),
            )
        request.user = grant.user
        request.scopes = grant.scope.split()
        if not self._spend(family, request, what="device_code"):
            return None
        return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED

    # --- Resource indicators (RFC 8707): only registered resources, as authorized --------

    def _check_and_set_request_resource(self, request):
        """DOT's narrowing of `resource` to what the grant carries, then Gatehouse's rule
        (apps.oauth.resources): registered resources only, and none a grant never had."""
        resources.settle(request, super()._check_and_set_request_resource)

    # --- Issuing, revoking and auditing ---------------------------------------------------

    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        machine = request.grant_type == "client_credentials"
        audit_request = _audit_request(request)
        if machine and not _first_machine_token(request, audit_request, token.get("scope", "")):
            return  # counted by the developer console (TokenCount), already in the security log
        user = request.client.user if machine else request.user
        rotated = request.grant_type == "refresh_token" and oauth2_settings.ROTATE_REFRESH_TOKEN
        record(
            AuditEvent.Kind.TOKEN_ISSUED,
            user=user,
            request=audit_request,
            client_id=request.client.client_id,
            grant_type=request.grant_type,
            scope=token.get("scope", ""),
            refresh_token_issued="refresh_token" in token,
            # A refresh revokes the tokens it replaces (rotation): one event says both.
            **({"revoked": "the refresh token and access token it replaces"} if rotated else {}),
            **({"note": MACHINE_TOKEN_NOTE} if machine else {}),
            # What a grant adds about this token (apps.oauth.token_exchange: its subject).
            **(_stash(request, "_gatehouse_audit") or {}),
        )

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        if getattr(request.client, "pk", None) is None:
            return super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        lookup = {"token_checksum": code_hash(token), "application_id": request.client.pk}
        with transaction.atomic():
            found = AccessToken.objects.filter(**lookup).select_related("user").first() or (
                RefreshToken.objects.filter(**lookup, revoked__isnull=True).select_related("user").first()
            )
            if isinstance(found, AccessToken):
                # The access token's row lock, held until it is deleted: an RFC 8693 exchange from it
                # (apps.oauth.token_exchange, which locks the same row) either commits first, and its
                # exchanged token is then collected and deleted with it, or finds it gone. (A refresh
                # token's revocation locks the refresh token first, as a refresh does: not this row.)
                AccessToken.objects.select_for_update().filter(pk=found.pk).first()
            super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        if found is not None:
            record(
                AuditEvent.Kind.TOKEN_REVOKED,
                user=found.user or request.client.user,
                request=_audit_request(request),
                client_id=request.client.client_id,
                token_type="access_token" if isinstance(found, AccessToken) else "refresh_token",
                via="revocation_endpoint",
            )

    # --- ID tokens ------------------------------------------------------------------------

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        family = _stash(request, "_gatehouse_family")
        if family is not None:
            # OIDC Core 2 and 12.2: when the user signed in, also in ID tokens from a refresh.
            claims["auth_time"] = int(family.auth_time.timestamp())
            if family.sid:  # OIDC Back-Channel Logout 2.1: the session its logout token names
                claims["sid"] = family.sid
        return claims, expiration_time

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT links the access token to its ID token by decoding the JWT it has just signed and
        # reading the row back (a SELECT of the app for the key, one of the ID token): hand
        # `_load_id_token` the row that finalize_id_token saved on this request instead.
        issued = vars(request).get("id_token")
        context = _issued_id_token.set(
            (token.get("id_token"), issued if isinstance(issued, IDToken) else None)
        )
        try:
            access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        finally:
            _issued_id_token.reset(context)
        dpop.bind_access_token(access_token, token)  # to the request's DPoP key, if it has one
        return access_token

    def _load_id_token(self, token):
        jwt, issued = _issued_id_token.get()
        if issued is not None and jwt is not None and token == jwt:
            return issued
        return super()._load_id_token(token)

    def finalize_id_token(self, id_token, token, token_handler, request):
        _signing_client(request.client)
        return super().finalize_id_token(id_token, token, token_handler, request)

    def _get_key_for_token(self, token):
        """The keys that may have signed an ID token we issued (an `id_token_hint`): the active
        one and the rotated-out ones still in the JWKS. Anything malformed has none."""
        try:
            key = super()._get_key_for_token(token)
        except (JWException, ValueError, TypeError):
            return None
        if key is None or key.get("kty") != "RSA":
            return key
        keys = jwk.JWKSet()
        for pem in [oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]:
            # jwcrypto names a PEM key by its thumbprint, the `kid` our ID tokens carry.
            keys.add(jwk.JWK(**json.loads(jwk_from_pem(pem).export_public())))
        return keys

    def _get_client_by_audience(self, audience):
        if isinstance(audience, str):
            audience = [audience]
        if not isinstance(audience, list) or not all(isinstance(aud, str) for aud in audience):
            return None
        return _signing_client(super()._get_client_by_audience(audience))

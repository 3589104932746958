import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy
from oauth2_provider.models import AbstractApplication, AbstractDeviceGrant, AbstractGrant
from oauth2_provider.settings import oauth2_settings

from apps.core.scopes import ALL_SCOPES
from apps.oauth import supported
from apps.oauth.supported import is_loopback_uri


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


def logo_path(application: "Application", filename: str) -> str:
    return f"app-logos/{application.client_id}/{filename}"


# What the verification flow and the staff console own on an Application (they audit and
# email each change): read-only in the admin, never written back by a developer's settings save.
STAFF_OWNED_FIELDS = (
    "verification",
    "verification_domain",
    "verification_token",
    "verified_identity",
    "verification_note",
    "verification_requested",
    "verification_decided",
    "verification_decided_by",
    "suspended",
    "suspended_reason",
    "suspended_at",
    "suspended_by",
)


class Application(AbstractApplication):
    """A client application, with what the consent screen and developer console show.

    DOT stores one `authorization_grant_type`; `grant_types` holds every grant the developer
    enabled, and `allows_grant_type` reads it.
    """

    description = models.TextField(max_length=1000, blank=True)
    homepage_url = models.URLField(blank=True)
    logo = models.ImageField(upload_to=logo_path, blank=True)
    privacy_policy_url = models.URLField(blank=True)
    terms_url = models.URLField(blank=True)
    allowed_scopes = models.JSONField(default=list, blank=True)
    required_scopes = models.JSONField(default=list, blank=True)
    scope_justifications = models.JSONField(default=dict, blank=True)
    grant_types = models.JSONField(default=list, blank=True)

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", pgettext_lazy("verification", "Unverified")
        CHECKING = "checking", pgettext_lazy("verification", "Checking the domain")
        IN_REVIEW = "in_review", pgettext_lazy("verification", "In review")
        VERIFIED = "verified", pgettext_lazy("verification", "Verified")
        REJECTED = "rejected", pgettext_lazy("verification", "Rejected")

    # Who runs the app, as staff confirmed it (apps.developer.verification moves it along).
    verification = models.CharField(
        max_length=16, choices=Verification.choices, default=Verification.UNVERIFIED, db_index=True
    )
    verification_domain = models.CharField(max_length=253, blank=True)
    # What the developer puts in DNS or at /.well-known/ to prove the domain is theirs.
    verification_token = models.CharField(max_length=64, default=new_verification_token)
    # Name, logo hash, homepage and redirect domains when verification was asked for: a change
    # to any of them puts the app back to unverified.
    verified_identity = models.JSONField(default=dict, blank=True)
    verification_note = models.TextField(max_length=1000, blank=True, help_text="Why it was refused or lost.")
    verification_requested = models.DateTimeField(null=True, blank=True)
    verification_decided = models.DateTimeField(null=True, blank=True)
    verification_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suspended = models.BooleanField(default=False, help_text="Its tokens and sign-ins stop working.")
    suspended_reason = models.TextField(max_length=1000, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_resource_server = models.BooleanField(
        default=False, help_text="May call the introspection endpoint for any token."
    )
    # RFC 9126 section 6: its authorization requests must come pushed, never in the URL.
    require_pushed_authorization_requests = models.BooleanField(
        default=False, help_text="Sign-in requests must be pushed to /o/par/ first."
    )
    # How a confidential client proves itself (RFC 7591 2 names; apps.oauth.client_assertion):
    # empty is a client secret sent either way. `jwks` or `jwks_uri` hold private_key_jwt's keys.
    token_endpoint_auth_method = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=[(method, method) for method in supported.CLIENT_AUTH_METHODS],
    )
    jwks = models.JSONField(default=dict, blank=True, help_text="Public keys (a JWK Set), pasted.")
    jwks_uri = models.URLField(max_length=2000, blank=True, help_text="Where its public keys are published.")
    # The FAPI 2.0 Security Profile's rules for this app, as apps.oauth.fapi states and enforces them.
    fapi2 = models.BooleanField(default=False, help_text="Enforce the FAPI 2.0 Security Profile.")

    # RFC 9449: every token request must carry a DPoP proof (apps.oauth.dpop), with a nonce.
    require_dpop = models.BooleanField(
        default=False, help_text="Tokens are issued only bound to a DPoP key, never as plain bearer tokens."
    )

    # --- JWT access tokens (RFC 9068) and resource indicators (RFC 8707): apps.oauth.jwt_tokens
    class AccessTokenFormat(models.TextChoices):
        OPAQUE = "opaque", gettext_lazy("Opaque")
        JWT = "jwt", gettext_lazy("JWT (RFC 9068)")

    access_token_format = models.CharField(
        max_length=8, choices=AccessTokenFormat.choices, default=AccessTokenFormat.OPAQUE
    )
    # A resource server's identifier: the `resource` clients ask tokens for, and their `aud`.
    resource_uri = models.URLField(
        blank=True, help_text="Resource servers only: the RFC 8707 resource identifier apps may ask for."
    )

    # OIDC Back-Channel Logout 1.0 (apps.oauth.backchannel): where signing out is announced.
    backchannel_logout_uri = models.URLField(blank=True, max_length=2000)
    backchannel_logout_session_required = models.BooleanField(
        default=False, help_text="Every logout token names the session (sid)."
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    @property
    def dpop_required(self) -> bool:
        """Whether every token of this app must be DPoP-bound (apps.oauth.dpop): its own switch,
        or FAPI 2.0's (apps.oauth.fapi.requires_dpop says the same)."""
        return self.require_dpop or self.fapi2

    @property
    def client_auth_method(self) -> str:
        """The one way this app authenticates at the token endpoint (apps.oauth.fapi decides)."""
        from apps.oauth import fapi

        return fapi.client_auth_method(self)

    @property
    def pushed_authorization_requests_required(self) -> bool:
        """Its own PAR switch, or FAPI 2.0's (apps.oauth.fapi)."""
        from apps.oauth import fapi

        return fapi.requires_par(self)

    @property
    def verified(self) -> bool:
        """Staff confirmed who runs this app, and nothing that identifies it changed since."""
        return self.verification == self.Verification.VERIFIED

    @property
    def publisher(self) -> str:
        """Who publishes the app, as people see it: a name the developer chose, else the app's
        homepage domain. Never the developer's email address, which they did not make public."""
        if self.user_id:
            profile = getattr(self.user, "profile", None)
            name = (profile and profile.display_name) or self.user.get_full_name()
            if name:
                return name
        return (urlsplit(self.homepage_url).hostname or "").removeprefix("www.")

    def is_usable(self, request) -> bool:
        """DOT's hook: a suspended app is, to every endpoint, an unknown client (invalid_client)."""
        return not self.suspended and super().is_usable(request)

    @property
    def allowed_scope_set(self) -> set[str]:
        """The scopes this app may obtain: what was allowed, and nothing when nothing was."""
        return set(self.allowed_scopes or ()) & set(ALL_SCOPES)

    @property
    def enabled_grant_types(self) -> set[str]:
        return set(self.grant_types) | {self.authorization_grant_type}

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(self.enabled_grant_types & set(grant_types))

    def clean(self) -> None:
        """DOT's checks, plus per URI what `get_allowed_schemes` can only say per app: plain
        http is for loopback addresses alone (RFC 8252 7.3), wherever the app is saved from."""
        from django.core.exceptions import ValidationError

        errors = {}
        try:
            super().clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in ("redirect_uris", "post_logout_redirect_uris"):
            for uri in getattr(self, field).split():
                try:
                    insecure = urlsplit(uri).scheme == "http" and not is_loopback_uri(uri)
                except ValueError:
                    continue  # DOT's own validation reports a URI it cannot parse
                if insecure:
                    errors.setdefault(field, []).append(
                        f"{uri}: use https (plain http only for 127.0.0.1 or [::1])."
                    )
        if errors:
            raise ValidationError(errors)

    def get_allowed_schemes(self) -> list[str]:
        """DOT's schemes (https), plus those RFC 8252 gives native apps for URIs they registered.

        Loopback `http://127.0.0.1` / `http://[::1]` (§7.3) for any client; a private-use scheme
        named as a reverse domain (§7.1) for public clients only. The developer console's
        validators refuse every other http or custom-scheme URI before DOT's clean() asks this.
        """
        schemes = list(oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)
        for uri in (self.redirect_uris + " " + self.post_logout_redirect_uris).split():
            try:
                parts = urlsplit(uri)
                scheme, host, loopback = parts.scheme, parts.hostname, is_loopback_uri(uri)
            except ValueError:
                continue
            if scheme in schemes:
                continue
            private_use = self.client_type == self.CLIENT_PUBLIC and "." in scheme and not host
            if loopback or private_use:
                schemes.append(scheme)
        return schemes


class ClientSecret(models.Model):
    """One of an application's secrets; several may be live at once so rotation needs no downtime."""

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="secrets"
    )
    secret_hash = models.CharField(max_length=255)
    last_four = models.CharField(max_length=4)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"••••{self.last_four}"


class Consent(models.Model):
    """A user's decision to let an application act for them, with the scopes granted.

    Close to the Authorization entity of DOT's ADR 0001, so a later move to it stays easy.
    """

    class Remember(models.TextChoices):
        FOREVER = "forever", gettext_lazy("Until I revoke it")
        DAYS_30 = "30d", gettext_lazy("For 30 days")
        ONCE = "once", gettext_lazy("This time only")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    scope = models.TextField(blank=True, help_text="Space-separated granted scopes.")
    remember = models.CharField(max_length=8, choices=Remember.choices, default=Remember.FOREVER)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="one_consent_per_user_app")
        ]
        ordering = ["-updated"]

    def __str__(self) -> str:
        return f"{self.user} → {self.application}"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def covers(self, scopes) -> bool:
        """Whether this stored decision lets a request for `scopes` skip the consent screen."""
        if self.remember == self.Remember.ONCE:
            return False
        if self.expires is not None and self.expires <= timezone.now():
            return False
        return set(scopes) <= set(self.scopes)

    @staticmethod
    def expiry_for(remember: str):
        return timezone.now() + timedelta(days=30) if remember == Consent.Remember.DAYS_30 else None


class TokenFamily(models.Model):
    """One authorization (a code or an approved device) and the refresh-token family it started.

    It remembers when the user really signed in (`auth_time` of every ID token from it), ends
    the family at `expires` however often its refresh token rotates, and keeps the hash of the
    spent code so a replay can find and revoke what the code produced (RFC 6749 section 4.1.2).
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="token_families"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_families"
    )
    # SHA-256 of the authorization code or device code; never the code itself.
    code_hash = models.CharField(max_length=64, unique=True)
    # DOT's RefreshToken.token_family, set when the code is exchanged (so: spent).
    family = models.UUIDField(null=True, blank=True, unique=True)
    auth_time = models.DateTimeField()
    # The browser session it was approved in, when it carries openid: the `sid` of its ID
    # tokens and of the logout tokens that end them (apps.oauth.backchannel). Never a session key.
    sid = models.CharField(max_length=64, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True, help_text="No refresh after this, however rotated.")

    class Meta:
        verbose_name_plural = "token families"
        # What `cleartokenfamilies` deletes by: ended families, and codes never exchanged.
        indexes = [
            models.Index(fields=["expires"], name="oauth_tokenfamily_expires"),
            models.Index(
                fields=["created"], condition=models.Q(family__isnull=True), name="oauth_tokenfamily_unspent"
            ),
        ]

    def __str__(self) -> str:
        return f"Token family {self.family or '(unspent)'}"


class Digest(str):
    """A value read back from a `DigestField`: already the SHA-256 hex digest, never hashed again."""


class DigestField(models.CharField):
    """Keeps only the SHA-256 of what it is given, and looks up by it too.

    DOT saves and finds codes by value (`Grant.objects.get(code=…)`); with this field the code
    itself never reaches the database, like DOT's hashed token storage, and DOT's queries work
    unchanged. Values read from the database are `Digest`s, so saving a loaded row keeps them.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else Digest(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or isinstance(value, Digest):
            return value
        return Digest(hashlib.sha256(value.encode()).hexdigest())


class Grant(AbstractGrant):
    """DOT's authorization code, stored as a hash (RFC 9700 4.14: codes are credentials)."""

    code = DigestField(max_length=64, unique=True, verbose_name="code (SHA-256)")

    class Meta(AbstractGrant.Meta):
        # What `cleartokens` deletes by.
        indexes = [models.Index(fields=["expires"], name="oauth_grant_expires")]


class DeviceGrant(AbstractDeviceGrant):
    """DOT's device authorization (RFC 8628), its device code stored as a hash. The user code
    stays readable: people type it, it is short-lived and useless without the device code."""

    device_code = DigestField(max_length=64, verbose_name="device code (SHA-256)")

    class Meta(AbstractDeviceGrant.Meta):
        pass


class PushedAuthorizationRequest(models.Model):
    """An authorization request a client pushed (RFC 9126), until /o/authorize/ redeems it once.

    A row, not a cache entry: redeeming is a conditional UPDATE, so of two authorization
    requests presenting the same `request_uri` on any nodes, exactly one wins, on every backend.
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="pushed_requests"
    )
    # SHA-256 of the request_uri, never the URI itself: it is a bearer credential for 60 seconds.
    uri_hash = models.CharField(max_length=64, unique=True)
    # The authorization request as pushed: parameter name to its list of values, without the
    # client's credentials.
    parameters = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # What `cleartokenfamilies` and each push delete by (pushes also by application, its FK index).
        indexes = [models.Index(fields=["expires"], name="oauth_par_expires")]

    def __str__(self) -> str:
        return f"Pushed request of {self.application_id} ({'used' if self.used_at else 'unused'})"

    @property
    def expired(self) -> bool:
        return self.expires <= timezone.now()


class DPoPBinding(models.Model):
    """RFC 9449: the key a token is bound to, by its RFC 7638 thumbprint (`cnf.jkt`). One row
    per bound access token, and per bound refresh token (public clients'); gone with its token.
    Written once, as the token is issued: the bearer cache loads it with the access token."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dpop_binding",
    )
    refresh_token = models.OneToOneField(
        oauth2_settings.REFRESH_TOKEN_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dpop_binding",
    )
    jkt = models.CharField(max_length=43)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(access_token__isnull=False, refresh_token__isnull=True)
                | models.Q(access_token__isnull=True, refresh_token__isnull=False),
                name="dpop_binding_one_token",
            )
        ]

    def __str__(self) -> str:
        return f"DPoP binding {self.jkt}"


class BackchannelDelivery(models.Model):
    """One logout token to deliver to an app's back-channel logout URI, and how that went.

    The token itself is not kept: each attempt signs a fresh one from these fields.
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="backchannel_deliveries",
    )
    # Who and which session signed out; `sub` is a string so it outlives a deleted account.
    sub = models.CharField(max_length=255)
    sid = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=2000)
    reason = models.CharField(max_length=32)
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True)
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The console's card; and a sign-out's check for a session already told.
            models.Index(fields=["application", "-created"], name="oauth_bcl_app_created"),
            models.Index(fields=["sid", "sub"], name="oauth_bcl_session"),
        ]
        verbose_name_plural = "back-channel deliveries"

    def __str__(self) -> str:
        return f"Logout of {self.sub} to {self.application_id}"

    @property
    def pending(self) -> bool:
        return self.delivered_at is None and self.gave_up_at is None


def revoke_exchanged_tokens(collector, field, sub_objs, using):
    """`on_delete` of TokenExchange.subject: the tokens exchanged from a deleted (revoked,
    expired and cleared, cascaded) access token are deleted with it, whichever path deleted it."""
    models.CASCADE(collector, field, sub_objs, using)
    access_tokens = field.related_model.objects.filter(pk__in=[row.exchanged_token_id for row in sub_objs])
    collector.collect(access_tokens, source=field.model, nullable=False, fail_on_restricted=False)


class TokenExchange(models.Model):
    """An access token issued by RFC 8693 token exchange, and the access token it came from."""

    subject = models.ForeignKey(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=revoke_exchanged_tokens, related_name="exchanged_into"
    )
    # Not a foreign key: each would cost every deletion of an access token (each refresh) a
    # SELECT. A row whose token went first is deleted with its subject.
    exchanged_token_id = models.BigIntegerField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Token exchange {self.subject_id} → {self.exchanged_token_id}"

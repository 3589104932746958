from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One security-relevant action. Kept when the user is deleted, with the link anonymised."""

    class Kind(models.TextChoices):
        SIGNED_UP = "account.signed_up", "Signed up"
        SIGNED_IN = "account.signed_in", "Signed in"
        SIGN_IN_FAILED = "account.sign_in_failed", "Failed sign-in"
        SIGNED_OUT = "account.signed_out", "Signed out"
        PASSWORD_CHANGED = "account.password_changed", "Password changed"
        PASSWORD_RESET = "account.password_reset", "Password reset"
        EMAIL_CONFIRMED = "account.email_confirmed", "Email address confirmed"
        EMAIL_ADDED = "account.email_added", "Email address added"
        EMAIL_REMOVED = "account.email_removed", "Email address removed"
        EMAIL_PRIMARY = "account.email_primary", "Primary email changed"
        MFA_ENABLED = "mfa.enabled", "Two-factor authentication added"
        MFA_DISABLED = "mfa.disabled", "Two-factor authentication removed"
        MFA_RECOVERY_CODES = "mfa.recovery_codes", "Recovery codes generated"
        SESSION_ENDED = "account.session_ended", "Session signed out"
        PROFILE_UPDATED = "account.profile_updated", "Profile updated"
        ACCOUNT_DELETED = "account.deleted", "Account deleted"
        CONSENT_GRANTED = "oauth.consent_granted", "App granted access"
        CONSENT_CHANGED = "oauth.consent_changed", "App access changed"
        ACCESS_REVOKED = "oauth.access_revoked", "App access revoked"
        TOKEN_ISSUED = "oauth.token_issued", "Token issued"
        TOKEN_REVOKED = "oauth.token_revoked", "Token revoked"
        TOKEN_REUSE = "oauth.token_reuse", "Refresh or code replay blocked"
        APP_CREATED = "developer.app_created", "OAuth app registered"
        APP_UPDATED = "developer.app_updated", "OAuth app changed"
        APP_DELETED = "developer.app_deleted", "OAuth app deleted"
        REDIRECT_URIS_CHANGED = "developer.redirect_uris_changed", "Redirect URIs changed"
        SECRET_CREATED = "developer.secret_created", "Client secret generated"
        SECRET_DELETED = "developer.secret_deleted", "Client secret deleted"
        APP_TOKENS_REVOKED = "developer.tokens_revoked", "All tokens of an app revoked"
        VERIFICATION_REQUESTED = "developer.verification_requested", "App verification requested"
        VERIFICATION_DOMAIN_PROVEN = "developer.verification_domain_proven", "App domain proven"
        VERIFICATION_CHECK_FAILED = "developer.verification_check_failed", "App domain check failed"
        VERIFICATION_LOST = "developer.verification_lost", "App verification lost"
        VERIFICATION_APPROVED = "staff.verification_approved", "App verified by staff"
        VERIFICATION_REJECTED = "staff.verification_rejected", "App verification rejected by staff"
        APP_SUSPENDED = "staff.app_suspended", "App suspended by staff"
        APP_REINSTATED = "staff.app_reinstated", "App reinstated by staff"
        ACCOUNT_LOCKED = "staff.account_locked", "Account locked by staff"
        ACCOUNT_UNLOCKED = "staff.account_unlocked", "Account unlocked by staff"
        SIGNED_OUT_EVERYWHERE = "staff.signed_out_everywhere", "Signed out everywhere by staff"
        MFA_RESET = "staff.mfa_reset", "Two-factor authentication reset by staff"
        KEY_CREATED = "apikeys.created", "API key created"
        KEY_REVOKED = "apikeys.revoked", "API key revoked"
        IDENTITY_LINKED = "social.linked", "Sign-in method connected"
        IDENTITY_UNLINKED = "social.unlinked", "Sign-in method disconnected"
        SOCIAL_SIGNED_IN = "social.signed_in", "Signed in with a provider"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    kind = models.CharField(max_length=64, choices=Kind.choices, db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # Who it was about when the user no longer exists: an opaque id, never the email.
    subject = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "-created"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created:%Y-%m-%d %H:%M})"

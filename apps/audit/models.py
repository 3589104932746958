from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant action. Kept when the user is deleted, with the link anonymised."""

    class Kind(models.TextChoices):
        SIGNED_UP = "account.signed_up", _("Signed up")
        SIGNED_IN = "account.signed_in", _("Signed in")
        SIGN_IN_FAILED = "account.sign_in_failed", _("Failed sign-in")
        SIGNED_OUT = "account.signed_out", _("Signed out")
        PASSWORD_CHANGED = "account.password_changed", _("Password changed")
        PASSWORD_RESET = "account.password_reset", _("Password reset")
        EMAIL_CONFIRMED = "account.email_confirmed", _("Email address confirmed")
        EMAIL_ADDED = "account.email_added", _("Email address added")
        EMAIL_REMOVED = "account.email_removed", _("Email address removed")
        EMAIL_PRIMARY = "account.email_primary", _("Primary email changed")
        MFA_ENABLED = "mfa.enabled", _("Two-factor authentication added")
        MFA_DISABLED = "mfa.disabled", _("Two-factor authentication removed")
        MFA_RECOVERY_CODES = "mfa.recovery_codes", _("Recovery codes generated")
        SESSION_ENDED = "account.session_ended", _("Session signed out")
        PROFILE_UPDATED = "account.profile_updated", _("Profile updated")
        ACCOUNT_DELETED = "account.deleted", _("Account deleted")
        CONSENT_GRANTED = "oauth.consent_granted", _("App granted access")
        CONSENT_CHANGED = "oauth.consent_changed", _("App access changed")
        ACCESS_REVOKED = "oauth.access_revoked", _("App access revoked")
        TOKEN_ISSUED = "oauth.token_issued", _("Token issued")
        TOKEN_REVOKED = "oauth.token_revoked", _("Token revoked")
        TOKEN_REUSE = "oauth.token_reuse", _("Refresh or code replay blocked")
        APP_CREATED = "developer.app_created", _("OAuth app registered")
        APP_UPDATED = "developer.app_updated", _("OAuth app changed")
        APP_DELETED = "developer.app_deleted", _("OAuth app deleted")
        REDIRECT_URIS_CHANGED = "developer.redirect_uris_changed", _("Redirect URIs changed")
        SECRET_CREATED = "developer.secret_created", _("Client secret generated")
        SECRET_DELETED = "developer.secret_deleted", _("Client secret deleted")
        APP_TOKENS_REVOKED = "developer.tokens_revoked", _("All tokens of an app revoked")
        VERIFICATION_REQUESTED = "developer.verification_requested", _("App verification requested")
        VERIFICATION_DOMAIN_PROVEN = "developer.verification_domain_proven", _("App domain proven")
        VERIFICATION_CHECK_FAILED = "developer.verification_check_failed", _("App domain check failed")
        VERIFICATION_LOST = "developer.verification_lost", _("App verification lost")
        VERIFICATION_APPROVED = "staff.verification_approved", _("App verified by staff")
        VERIFICATION_REJECTED = "staff.verification_rejected", _("App verification rejected by staff")
        APP_SUSPENDED = "staff.app_suspended", _("App suspended by staff")
        APP_REINSTATED = "staff.app_reinstated", _("App reinstated by staff")
        ACCOUNT_LOCKED = "staff.account_locked", _("Account locked by staff")
        ACCOUNT_UNLOCKED = "staff.account_unlocked", _("Account unlocked by staff")
        SIGNED_OUT_EVERYWHERE = "staff.signed_out_everywhere", _("Signed out everywhere by staff")
        MFA_RESET = "staff.mfa_reset", _("Two-factor authentication reset by staff")
        KEY_CREATED = "apikeys.created", _("API key created")
        KEY_REVOKED = "apikeys.revoked", _("API key revoked")
        IDENTITY_LINKED = "social.linked", _("Sign-in method connected")
        IDENTITY_UNLINKED = "social.unlinked", _("Sign-in method disconnected")
        SOCIAL_SIGNED_IN = "social.signed_in", _("Signed in with a provider")

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

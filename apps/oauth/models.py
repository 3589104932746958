from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from apps.oauth.scopes import ALL_SCOPES


def logo_path(application: "Application", filename: str) -> str:
    return f"app-logos/{application.client_id}/{filename}"


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
    verified = models.BooleanField(default=False, help_text="Staff checked who runs this app.")
    is_resource_server = models.BooleanField(
        default=False, help_text="May call the introspection endpoint for any token."
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    @property
    def allowed_scope_set(self) -> set[str]:
        return set(self.allowed_scopes or ALL_SCOPES)

    @property
    def enabled_grant_types(self) -> set[str]:
        return set(self.grant_types) | {self.authorization_grant_type}

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(self.enabled_grant_types & set(grant_types))


class ClientSecret(models.Model):
    """One of an application's secrets; several may be live at once so rotation needs no downtime."""

    application = models.ForeignKey(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="secrets")
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
        FOREVER = "forever", "Until I revoke it"
        DAYS_30 = "30d", "For 30 days"
        ONCE = "once", "This time only"

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
        constraints = [models.UniqueConstraint(fields=["user", "application"], name="one_consent_per_user_app")]
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

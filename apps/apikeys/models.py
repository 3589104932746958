from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A key reads `gatehouse_<id>_<secret><checksum>` (the README's "API keys" gives the regex).
# The prefix and checksum let secret scanners spot leaked keys; the id is stored in clear for
# the lookup, the secret only as a keyed hash.
KEY_PREFIX = "gatehouse_"
# Keys issued before read `gh_pat_<id>_<secret>`, without checksum. That is GitHub's prefix, so
# none are issued any more; those out there work until they expire or are revoked.
LEGACY_KEY_PREFIX = "gh_pat_"
KEY_ID_LENGTH = 12
SECRET_LENGTH = 43  # base62: 43 characters carry 256 bits
CHECKSUM_LENGTH = 6  # a CRC32 in base62
LAST_USED_PRECISION = timedelta(minutes=1)


class APIKeyQuerySet(models.QuerySet["APIKey"]):
    def active(self) -> "APIKeyQuerySet":
        return self.filter(Q(expires__isnull=True) | Q(expires__gt=timezone.now()))


class APIKey(models.Model):
    """A personal API key: acts for its user on the API with the scopes it was given.

    It quacks like DOT's AccessToken (`scope`, `is_valid`, `allow_scopes`, `is_expired`), so
    the same scope checks serve both.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's format, by its prefix.")
    key_id = models.CharField(max_length=KEY_ID_LENGTH, unique=True)
    key_hash = models.CharField(max_length=128)
    scope = models.TextField(help_text="Space-separated scopes.")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        """What a person can recognise the key by; never enough to use it."""
        return f"{self.prefix}{self.key_id}_…"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def is_expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()

    def allow_scopes(self, scopes) -> bool:
        return set(scopes or ()) <= set(self.scopes)

    def is_valid(self, scopes=None) -> bool:
        return not self.is_expired() and self.allow_scopes(scopes)

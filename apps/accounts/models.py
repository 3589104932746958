from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The Gatehouse account. Users sign in by email; `username` is the OIDC preferred_username."""

    email = models.EmailField("email address", blank=True, db_index=True)

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        return (profile and profile.display_name) or self.get_full_name() or self.email or self.username


class ProfileManager(models.Manager["Profile"]):
    def for_user(self, user: User) -> "Profile":
        """The user's profile, created on first use (users come from allauth, social-auth, admin).

        The one `user.profile` holds when it is loaded (select_related, display_name), so a
        request asks the database for it once."""
        try:
            return user.profile
        except Profile.DoesNotExist:
            profile, _ = self.get_or_create(user=user)
            user.profile = profile
            return profile


def avatar_path(profile: "Profile", filename: str) -> str:
    return f"avatars/{profile.user_id}/{filename}"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=100, blank=True)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    website = models.URLField(blank=True)
    # A code from settings.LANGUAGES (no `choices` here: adding a language needs no migration);
    # blank follows the browser (apps.accounts.languages).
    language = models.CharField(max_length=16, blank=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ProfileManager()

    def __str__(self) -> str:
        return f"Profile of {self.user}"

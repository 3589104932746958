from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from apps.accounts import receivers, sessions  # noqa: F401 - connects the signal receivers
        from apps.accounts.models import Profile, User
        from apps.core import rowcache

        # Credentials in the shared cache carry their user; /api/me/ serves the profile from it too.
        # Not the password hash; not last_login either, which every sign-in saves.
        rowcache.track(User, omit=("password", "last_login"))
        rowcache.track(Profile, field="user_id")

from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    verbose_name = "OAuth"

    def ready(self) -> None:
        from apps.oauth import consent  # noqa: F401 - connects the sign-in time receiver

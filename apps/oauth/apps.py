from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    verbose_name = "OAuth"

    def ready(self) -> None:
        from apps.oauth import checks, consent  # noqa: F401 - registers checks, connects a receiver

from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "apps.social"
    verbose_name = "Social"

    def ready(self) -> None:
        from apps.social import receivers  # noqa: F401 - connects the signal receivers

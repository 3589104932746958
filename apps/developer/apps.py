from django.apps import AppConfig


class DeveloperConfig(AppConfig):
    name = "apps.developer"
    verbose_name = "Developer"

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from oauth2_provider.models import get_access_token_model

        from apps.developer.receivers import count_issued_token

        # Every path that issues a token (code, refresh, client credentials, device code,
        # token exchange) ends in DOT saving an AccessToken; DOT's own app_authorized signal
        # misses the device flow.
        post_save.connect(
            count_issued_token, sender=get_access_token_model(), dispatch_uid="developer-token-count"
        )

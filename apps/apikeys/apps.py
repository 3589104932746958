from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apps.apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from apps.accounts.deletion import register_deletion_step
        from apps.apikeys import services
        from apps.apikeys.models import APIKey
        from apps.core import rowcache

        register_deletion_step("apikeys", impact=services.deletion_impact, delete=services.delete_user_keys)
        rowcache.track(APIKey, field="key_id")

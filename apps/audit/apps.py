from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from apps.audit import receivers  # noqa: F401 - connects the signal receivers

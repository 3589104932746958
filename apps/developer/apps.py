from django.apps import AppConfig


class DeveloperConfig(AppConfig):
    name = "apps.developer"
    verbose_name = "Developer"

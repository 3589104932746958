from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Settings the API reads at request time, checked at start-up so a typo stops the process.
RATE_VARIABLES = {"token": "GATEHOUSE_API_RATE", "anon": "GATEHOUSE_API_ANON_RATE"}
MAX_INTROSPECTION_CACHE_SECONDS = 60


def check_settings() -> None:
    from apps.api.throttling import parse_rate

    for name, variable in RATE_VARIABLES.items():
        rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][name]
        try:
            parse_rate(rate)
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable} must look like 100/hour or 10/5m (per second, minute, hour, day), not {rate!r}."
            ) from None
    url = settings.OAUTH2_PROVIDER.get("RESOURCE_SERVER_INTROSPECTION_URL")
    credentials = settings.OAUTH2_PROVIDER.get("RESOURCE_SERVER_INTROSPECTION_CREDENTIALS")
    if (url or credentials) and not (url and credentials and all(credentials)):
        raise ImproperlyConfigured(
            "Resource-server mode needs GATEHOUSE_RESOURCE_SERVER_INTROSPECTION_URL, "
            "GATEHOUSE_RESOURCE_SERVER_CLIENT_ID and GATEHOUSE_RESOURCE_SERVER_CLIENT_SECRET together."
        )
    seconds = settings.OAUTH2_PROVIDER.get("RESOURCE_SERVER_TOKEN_CACHING_SECONDS", 0)
    if seconds > MAX_INTROSPECTION_CACHE_SECONDS:
        raise ImproperlyConfigured(
            f"GATEHOUSE_RESOURCE_SERVER_CACHE_SECONDS must be at most {MAX_INTROSPECTION_CACHE_SECONDS}, "
            f"not {seconds}: a revoked token must stop working everywhere within a minute."
        )


class ApiConfig(AppConfig):
    name = "apps.api"
    verbose_name = "API"

    def ready(self) -> None:
        check_settings()
        from apps.api import schema  # noqa: F401 - registers the OpenAPI extensions

"""System checks about the deployment as a whole (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

PROCESS_LOCAL_CACHES = {"django.core.cache.backends.locmem.LocMemCache"}


@register(Tags.caches, deploy=True)
def cache_shared_by_every_process(app_configs, **kwargs) -> list[Warning]:
    """Bearer credentials are validated from the cache and revocation invalidates it there: a
    cache of one process's own would let the others accept a revoked token until it expires."""
    if settings.CACHES["default"]["BACKEND"] not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            "The cache is local to each process: with several workers or nodes, a revoked token or "
            "API key stays valid for up to five minutes in the others, and rate limits count per process.",
            hint="Set REDIS_URL to a Redis that every worker and node shares.",
            id="gatehouse.W002",
        )
    ]


@register(Tags.security, deploy=True)
def csrf_middleware_for_people(app_configs, **kwargs) -> list[Warning]:
    """Django's security.W003 and W016, for CsrfViewMiddleware wrapped by `for_people`: Django
    looks for its dotted path in MIDDLEWARE, so settings silence W003 and this checks instead."""
    classes = [import_string(path) for path in settings.MIDDLEWARE]
    if not any(isinstance(cls, type) and issubclass(cls, CsrfViewMiddleware) for cls in classes):
        return [
            Warning(
                "CsrfViewMiddleware (or apps.core.middleware.for_people of it) is not in MIDDLEWARE.",
                id="gatehouse.W003",
            )
        ]
    if settings.CSRF_USE_SESSIONS or settings.CSRF_COOKIE_SECURE is True:
        return []
    return [Warning("CSRF_COOKIE_SECURE is not True (Django's security.W016).", id="gatehouse.W016")]

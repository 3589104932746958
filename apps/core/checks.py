"""System checks about the deployment as a whole (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

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

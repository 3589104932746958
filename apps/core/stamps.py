""" "Last used" stamps, written at most once a period per credential across every worker and node.

The shared cache decides which request writes (`cache.add`, first one wins); each process also
remembers what it has stamped, so the repeats of a busy credential within the period cost no
round trip at all. The memory only ever skips a write the shared cache would refuse too.
"""

import time

from django.core.cache import cache

# Enough for the credentials one worker sees in a period; beyond it, start again (a few extra asks).
MAX_REMEMBERED = 10_000
_stamped: dict[str, float] = {}  # key -> when this process may ask again (time.time())


def first_in_period(key: str, seconds: int) -> bool:
    """True for the one request per `seconds` window of `key`, on every node, that should write."""
    now = time.time()
    if _stamped.get(key, 0.0) > now:
        return False
    if len(_stamped) >= MAX_REMEMBERED:
        _stamped.clear()
    if hasattr(cache, "add_or_ttl"):  # Redis (apps.core.cache): the default cache is a proxy
        left = cache.add_or_ttl(key, seconds)
    else:
        left = None if cache.add(key, 1, seconds) else 0.0
    _stamped[key] = now + (seconds if left is None else left)
    return left is None


def forget_all() -> None:
    """Forget this process's memory (the tests' clean cache)."""
    _stamped.clear()

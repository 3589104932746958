""" "Last used" stamps, written at most once a period per credential across every worker and node.

The shared cache decides which request writes (an add: the first one wins); each process also
remembers until when the shared cache's key lives, so the repeats of a busy credential within
the period cost no round trip at all. The memory never outlives the shared key (on Redis, a lost
add says how long the key has left; elsewhere only a won add is remembered), so it only ever
skips a write the shared cache would refuse too.
"""

import time
from datetime import datetime, timedelta

from django.db.models import Model, Q
from django.utils import timezone

from apps.core.cache import add_or_ttl

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
    left = add_or_ttl(key, seconds)
    _stamped[key] = now + (seconds if left is None else left)
    return left is None


def stamp_last_used(model: type[Model], *, key: str, period: timedelta, **lookups) -> datetime | None:
    """Write now into the `last_used` of the `model` rows matching `lookups`, at most once a
    `period` for `key` on every node, and only where the stored time is older than that (a
    conditional UPDATE, so nodes that race write once between them). The time written, or
    None when nothing was. The query is built only past the gate: most calls are repeats."""
    if not first_in_period(key, int(period.total_seconds())):
        return None
    now = timezone.now()
    stale = Q(last_used__isnull=True) | Q(last_used__lte=now - period)
    return now if model.objects.filter(stale, **lookups).update(last_used=now) else None


def forget_all() -> None:
    """Forget this process's memory (the tests' clean cache)."""
    _stamped.clear()

"""Gatehouse's own settings, plus the bench's bare view (bench/urls.py) and a cache key prefix.

Only bench/run.py selects this module (DJANGO_SETTINGS_MODULE=bench.settings); the product
never imports it. Everything else is portal.settings as the environment configures it.
"""

import os

from portal.settings import *  # noqa: F403
from portal.settings import CACHES

ROOT_URLCONF = "bench.urls"

# Each run counts rate limits and caches answers under its own prefix, so a second run on
# the same Redis database starts from an empty cache without anything being flushed.
CACHES = {
    **CACHES,
    "default": {**CACHES["default"], "KEY_PREFIX": os.environ.get("GATEHOUSE_BENCH_RUN", "bench")},
}

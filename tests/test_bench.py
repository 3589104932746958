"""`make bench` is not part of the suite; these check in a second that it still can run."""

import pytest
from django.urls import Resolver404, resolve, reverse


def test_bench_settings_add_the_bare_view_to_the_product_urls():
    from bench import settings as bench_settings

    assert bench_settings.ROOT_URLCONF == "bench.urls"
    assert resolve("/bench/bare/", urlconf="bench.urls").func.__name__ == "bare"
    assert reverse("core:healthz", urlconf="bench.urls") == "/healthz/"


def test_the_product_has_no_bare_view():
    with pytest.raises(Resolver404):
        resolve("/bench/bare/")


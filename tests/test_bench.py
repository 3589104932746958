"""`make bench` is not part of the suite; these check in a second that it still can run."""

import os

import pytest
from django.urls import Resolver404, resolve, reverse

from bench import run, seed


def test_bench_settings_add_the_bare_view_to_the_product_urls():
    from bench import settings as bench_settings

    assert bench_settings.ROOT_URLCONF == "bench.urls"
    assert resolve("/bench/bare/", urlconf="bench.urls").func.__name__ == "bare"
    assert reverse("core:healthz", urlconf="bench.urls") == "/healthz/"


def test_the_product_has_no_bare_view():
    with pytest.raises(Resolver404):
        resolve("/bench/bare/")


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_every_benchmarked_request_answers_200_after_seeding():
    targets = seed.seed()
    seed.count_queries(targets)  # raises SystemExit on any answer but a 200 with the expected text

    assert len(targets) == 8
    assert targets[0].queries == []  # the bare view touches no database


def test_cpu_time_is_read_from_proc():
    assert run.cpu_seconds([os.getpid()]) > 0

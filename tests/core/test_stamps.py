"""Last-used stamps: one write per period across workers, and no round trip for the repeats."""

import time
from unittest import mock

from django.core.cache import cache

from apps.core import stamps


def test_the_first_request_of_a_period_writes_and_repeats_ask_nothing():
    with mock.patch.object(cache, "add", wraps=cache.add) as asked:
        assert stamps.first_in_period("stamp:a", 60)
        assert not stamps.first_in_period("stamp:a", 60)
        assert not stamps.first_in_period("stamp:a", 60)
    assert asked.call_count == 1
    assert stamps.first_in_period("stamp:b", 60)  # each key on its own


def test_another_worker_that_stamped_first_wins():
    cache.add("stamp:c", 1, 60)  # the write another worker made this minute
    assert not stamps.first_in_period("stamp:c", 60)


def test_after_the_period_the_next_request_writes_again(time_machine):
    time_machine.move_to(time.time(), tick=False)
    assert stamps.first_in_period("stamp:d", 60)
    time_machine.shift(61)
    cache.delete("stamp:d")  # expired by then (Redis's own clock does not travel)
    assert stamps.first_in_period("stamp:d", 60)

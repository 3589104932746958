"""Last-used stamps: one write per period across workers, and no round trip for the repeats."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache

from apps.core import stamps
from apps.core.cache import add_or_ttl


def test_the_first_request_of_a_period_writes_and_repeats_ask_nothing():
    with mock.patch("apps.core.stamps.add_or_ttl", wraps=add_or_ttl) as asked:
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


def test_a_write_another_worker_made_is_remembered_only_as_long_as_its_key_lives(time_machine):
    time_machine.move_to(time.time(), tick=False)
    cache.add("stamp:e", 1, 60)  # another worker's, this minute
    assert not stamps.first_in_period("stamp:e", 60)
    remembered = stamps._stamped["stamp:e"] - time.time()
    assert remembered <= 60
    if hasattr(cache, "run_script"):
        assert 59 <= remembered <= 60  # what Redis says the other worker's key has left
    else:
        assert remembered == 0  # without Redis's TTL: ask again next time
    cache.delete("stamp:e")  # its period ends
    time_machine.shift(max(remembered, 0) + 0.01)
    assert stamps.first_in_period("stamp:e", 60)


@pytest.mark.django_db
def test_a_stamp_writes_once_and_its_repeats_build_no_query(user):
    from apps.oauth.models import Application, Consent
    from tests.oauth_flow import make_client

    app = make_client(user, name="Stamped", grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    Consent.objects.create(user=user, application=app, scope="openid")
    lookups = {"user_id": user.pk, "application_id": app.pk}
    written = stamps.stamp_last_used(Consent, key="stamp:f", period=timedelta(minutes=1), **lookups)
    assert written is not None and Consent.objects.get(**lookups).last_used == written
    with mock.patch.object(Consent.objects, "filter") as built:
        assert stamps.stamp_last_used(Consent, key="stamp:f", period=timedelta(minutes=1), **lookups) is None
    built.assert_not_called()

"""Rate limits per token, per API key and per address: 429, its headers, then recovery."""

import math

import pytest

from apps.apikeys.models import CHECKSUM_LENGTH, SECRET_LENGTH
from apps.apikeys.services import find_api_key, key_checksum
from tests.api.conftest import bearer

NOW = 1_767_225_600.5  # 2026-01-01 00:00:00.5 UTC: a fraction, to see the reset rounded up


@pytest.fixture
def tiny_rates(settings):
    """Two calls per 3 seconds: long enough that three quick calls share one window."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/3s", "anon": "2/3s"},
    }


def call(client, credential: str | None = None):
    return client.get("/api/me/", headers=bearer(credential) if credential else {})


@pytest.fixture
def frozen_clock(time_machine, settings):
    """A clock only the test moves. The window lives in a local-memory cache, whose expiry reads
    that clock; Redis (in CI) keeps its own, which no test can move."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_a_key_over_its_rate_gets_429_then_recovers(client, api_key, tiny_rates, frozen_clock):
    key = api_key(["read"])
    first, second, third = call(client, key), call(client, key), call(client, key)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert second["X-RateLimit-Remaining"] == "0"
    assert third["X-RateLimit-Remaining"] == "0"
    retry_after = int(third["Retry-After"])
    assert retry_after == 3  # the whole window: no time has passed since its first call
    assert third["X-RateLimit-Reset"] == str(math.ceil(NOW + 3))  # Unix time, rounded up
    assert third.json() == {
        "error": "rate_limited",
        "error_description": third.json()["error_description"],
        "retry_after": retry_after,
    }
    frozen_clock.shift(retry_after)
    recovered = call(client, key)
    assert recovered.status_code == 200
    assert recovered["X-RateLimit-Remaining"] == "1"


def test_each_token_has_its_own_budget(client, issue, tiny_rates):
    spent, fresh = issue("read")["access_token"], issue("read")["access_token"]
    assert [call(client, spent).status_code for _ in range(3)] == [200, 200, 429]
    assert call(client, fresh).status_code == 200


def test_a_key_and_a_token_of_one_user_are_counted_apart(client, issue, api_key, tiny_rates):
    token = issue("read")["access_token"]
    key = api_key(["read"])
    assert [call(client, token).status_code for _ in range(3)] == [200, 200, 429]
    assert call(client, key).status_code == 200


def test_a_warm_credential_spends_one_call_per_call(client, issue, api_key, tiny_rates):
    # The first call reads the credential from the database and counts itself; the next read
    # it from the cache, which counts it on the way: one each, never two, never none.
    for credential in (issue("read")["access_token"], api_key(["read"])):
        calls = [call(client, credential) for _ in range(3)]
        assert [(r.status_code, r["X-RateLimit-Remaining"]) for r in calls] == [
            (200, "1"),
            (200, "0"),
            (429, "0"),
        ]


def test_a_revoked_token_spends_the_address_budget(client, issue, revoke_at_dot, tiny_rates):
    token = issue("read")["access_token"]
    assert call(client, token).status_code == 200
    revoke_at_dot(token)  # its cache entry is now a tombstone, which the read still finds
    statuses = [call(client, token).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # refused, then limited as anonymous: 2 per 3 s


def test_a_wrong_secret_for_a_known_key_id_spends_only_the_senders_budget(client, api_key, tiny_rates):
    key = api_key(["read"])
    assert call(client, key)["X-RateLimit-Remaining"] == "1"  # and the key is cached
    # Key ids are not secret (the keys page shows them): a made-up secret, its checksum right.
    body = key[: -(SECRET_LENGTH + CHECKSUM_LENGTH)] + "x" * SECRET_LENGTH
    forged = body + key_checksum(body)
    assert find_api_key(forged) is None
    assert client.get("/api/me/", REMOTE_ADDR="203.0.113.7", headers=bearer(forged)).status_code == 401
    second = call(client, key)
    assert (second.status_code, second["X-RateLimit-Remaining"]) == (200, "0")  # its second call, not third


def test_a_refused_token_spends_only_the_address_budget(client, issue, user, tiny_rates):
    token = issue("read")["access_token"]
    assert call(client, token)["X-RateLimit-Remaining"] == "1"
    user.is_active = False
    user.save()
    assert call(client, token).status_code == 401  # read from the cache, then refused
    user.is_active = True
    user.save()
    second = call(client, token)
    assert (second.status_code, second["X-RateLimit-Remaining"]) == (200, "0")


def test_anonymous_calls_are_counted_per_address(client, api_key, tiny_rates):
    statuses = [
        client.get("/api/me/", REMOTE_ADDR="203.0.113.7").status_code,
        client.get("/api/me/", REMOTE_ADDR="203.0.113.7", headers=bearer("not-a-token")).status_code,
        client.get("/api/me/", REMOTE_ADDR="203.0.113.7").status_code,
    ]
    # Failed credentials spend the address's budget too, before the 401.
    assert statuses == [401, 401, 429]
    assert client.get("/api/me/", REMOTE_ADDR="198.51.100.9").status_code == 401
    # A forwarded-for header is not trusted without a proxy: no fresh budget from it.
    spoofed = client.get("/api/me/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.55")
    assert spoofed.status_code == 429
    # A valid key is counted on its own budget, not the address's.
    assert call(client, api_key(["read"])).status_code == 200


def test_the_default_rate_is_the_recipes_100_an_hour(client, api_key):
    response = call(client, api_key(["read"]))
    assert response["X-RateLimit-Limit"] == "100"
    assert response["X-RateLimit-Remaining"] == "99"

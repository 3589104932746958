"""API settings are checked at start-up: a typo stops the process with the variable's name."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.api.apps import check_settings
from apps.api.throttling import parse_rate


@pytest.mark.parametrize(
    ("rate", "parsed"), [("100/hour", (100, 3600)), ("2/3s", (2, 3)), ("10/5min", (10, 300))]
)
def test_rates_read_like_drfs_and_allow_multiples(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["100/week", "100/month", "0/hour", "lots/hour", "100"])
def test_a_wrong_api_rate_stops_start_up(settings, rate):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": rate, "anon": "1/s"},
    }
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_API_RATE"):
        check_settings()


def test_introspection_cache_longer_than_a_minute_stops_start_up(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "RESOURCE_SERVER_TOKEN_CACHING_SECONDS": 61}
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_RESOURCE_SERVER_CACHE_SECONDS"):
        check_settings()


def test_resource_server_mode_needs_url_and_credentials_together(settings):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "RESOURCE_SERVER_INTROSPECTION_URL": "https://id.example.com/o/introspect/",
        "RESOURCE_SERVER_INTROSPECTION_CREDENTIALS": None,
    }
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_RESOURCE_SERVER_CLIENT_ID"):
        check_settings()

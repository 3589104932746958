"""Behind a proxy (GATEHOUSE_BEHIND_PROXY), the address that counts is the one the proxy saw."""

import pytest
from django.test import RequestFactory

from apps.audit.services import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # not behind a proxy: the header is anyone's to forge
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own claim comes first
        (1, "", "10.0.0.2"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxy(settings, proxies, forwarded, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_failed_sign_in_behind_the_proxy_is_logged_with_the_clients_address(client, settings, user):
    from apps.audit.models import AuditEvent

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"login": user.email, "password": "wrong"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert event.ip_address == "203.0.113.7"

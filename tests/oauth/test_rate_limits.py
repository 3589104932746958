"""Rate limits on the token, PAR, device-authorization, introspection and revocation endpoints."""

import threading

import pytest
from django.db import connection

from apps.oauth.models import Application
from apps.oauth.ratelimit import consume
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post, make_client, token_request

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/o/token/", "/o/device-authorization/", "/o/introspect/", "/o/revoke_token/", "/o/par/"]


@pytest.fixture
def service_app(developer):
    return make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])


def assert_limited(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "slow_down"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_each_endpoint_is_limited_per_address(client, settings, url):
    settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS = 3
    for _ in range(3):
        assert form_post(client, url, {"client_id": "someone"}).status_code != 429
    assert_limited(form_post(client, url, {"client_id": "someone-else"}))


def test_token_endpoint_is_limited_per_client_across_addresses(client, settings, service_app):
    settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT = 3
    auth = basic_auth(service_app.client_id, CLIENT_SECRET)
    for n in range(3):
        response = token_request(
            client, {"grant_type": "client_credentials"}, REMOTE_ADDR=f"10.0.0.{n}", **auth
        )
        assert response.status_code == 200
    assert_limited(
        token_request(client, {"grant_type": "client_credentials"}, REMOTE_ADDR="10.0.0.99", **auth)
    )


def test_wrong_secrets_from_anyone_do_not_lock_the_real_client_out(client, settings, service_app):
    settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT = 3
    for n in range(5):
        guess = token_request(
            client,
            {"grant_type": "client_credentials"},
            REMOTE_ADDR=f"10.0.1.{n}",
            **basic_auth(service_app.client_id, f"guess-{n}"),
        )
        assert guess.status_code == 401
    real = token_request(
        client,
        {"grant_type": "client_credentials"},
        REMOTE_ADDR="10.0.0.50",
        **basic_auth(service_app.client_id, CLIENT_SECRET),
    )
    assert real.status_code == 200, real.content


def test_one_wrong_secret_repeated_is_still_limited_per_client(client, settings, service_app):
    settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT = 3
    auth = basic_auth(service_app.client_id, "the-same-guess")
    for n in range(3):
        token_request(client, {"grant_type": "client_credentials"}, REMOTE_ADDR=f"10.0.2.{n}", **auth)
    assert_limited(
        token_request(client, {"grant_type": "client_credentials"}, REMOTE_ADDR="10.0.2.99", **auth)
    )


def test_another_address_and_client_are_not_affected(client, settings, service_app, developer):
    settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS = 2
    for _ in range(3):
        form_post(client, "/o/token/", {"client_id": "noisy"}, REMOTE_ADDR="10.0.0.1")
    quiet = token_request(
        client,
        {"grant_type": "client_credentials"},
        REMOTE_ADDR="10.0.0.2",
        **basic_auth(service_app.client_id, CLIENT_SECRET),
    )
    assert quiet.status_code == 200


def test_limits_count_per_endpoint(client, settings):
    settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS = 2
    for _ in range(3):
        form_post(client, "/o/token/", {"client_id": "x"})
    assert form_post(client, "/o/revoke_token/", {"client_id": "x", "token": "t"}).status_code != 429


def test_counting_is_atomic_under_concurrency(db):
    allowed = []
    lock = threading.Lock()

    def hit():
        result = consume("concurrency-test", limit=25)
        with lock:
            allowed.append(result == 0)
        connection.close()

    threads = [threading.Thread(target=hit) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 25


def test_retry_after_is_at_most_the_window():
    for _ in range(3):
        retry = consume("window-test", limit=2, period=60)
    assert 1 <= retry <= 60


def test_junk_naming_a_public_client_does_not_lock_out_its_users(client, settings, developer):
    public = make_client(
        developer, name="Phone app", grant_types=[Application.GRANT_AUTHORIZATION_CODE], secret=None
    )
    settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT = 3
    junk = {"grant_type": "authorization_code", "code": "junk", "client_id": public.client_id}
    for _ in range(4):
        form_post(client, "/o/token/", junk, REMOTE_ADDR="10.9.0.1")
    assert_limited(form_post(client, "/o/token/", junk, REMOTE_ADDR="10.9.0.1"))
    elsewhere = form_post(client, "/o/token/", junk, REMOTE_ADDR="10.9.9.9")
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_grant"

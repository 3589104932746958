"""Concurrent uses of one code or refresh token, settled by the database (DESIGN: Scale).

Each thread has its own database connection and posts to the real token endpoint; a barrier
starts them together. SQLite has no row locks and serialises writers, so only PostgreSQL
(CI's second pass) can show a race.
"""

import hashlib
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps.oauth.revocation import revoke_tokens
from apps.oauth.validators import GatehouseValidator
from tests.oauth_flow import approve, exchange_code, make_client, obtain_tokens, pkce_pair, refresh, revoke

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need row locks and concurrent writers: PostgreSQL only (CI's PostgreSQL pass)",
    ),
]

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def http() -> Client:
    """A test client that answers a view's exception with the 500 a real client would get."""
    return Client(raise_request_exception=False)


def run_together(*calls):
    """Run each call in its own thread (own connection), all released at once; return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def outcomes(responses) -> dict:
    """How many responses had each (status, error); an exception counts under its repr."""
    return dict(
        Counter(
            (r.status_code, r.json().get("error")) if hasattr(r, "status_code") else repr(r)
            for r in responses
        )
    )


def live_tokens(user) -> tuple[int, int]:
    return (
        AccessToken.objects.filter(user=user).count(),
        RefreshToken.objects.filter(user=user, revoked__isnull=True).count(),
    )


def userinfo(access_token: str) -> int:
    url = reverse("oauth2_provider:user-info")
    return http().get(url, HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def test_twenty_concurrent_refreshes_issue_one_pair_and_the_replays_revoke_it(user, application):
    tokens = obtain_tokens(http(), user=user, application=application, scope="openid read")

    responses = run_together(*[lambda: refresh(http(), application, tokens["refresh_token"])] * 20)

    assert outcomes(responses) == {(200, None): 1, (400, "invalid_grant"): 19}
    # Nineteen reuses of a rotated refresh token: RFC 9700 4.14.2 revokes the family.
    assert live_tokens(user) == (0, 0)
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert userinfo(winner["access_token"]) == 401
    assert refresh(http(), application, winner["refresh_token"]).status_code == 400


def test_ten_concurrent_exchanges_of_one_code_answer_once_and_revoke_the_winners_tokens(user, application):
    # A first exchange marks the client secret used, so the race below has no write in common
    # but the code itself (a secret's `last_used` is written at most once a minute).
    obtain_tokens(http(), user=user, application=application, scope="read")
    browser = http()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    code = approve(browser, application, scope="openid read", challenge=challenge)["code"]

    responses = run_together(*[lambda: exchange_code(http(), application, code=code, verifier=verifier)] * 10)

    assert outcomes(responses) == {(200, None): 1, (400, "invalid_grant"): 9}
    # RFC 6749 4.1.2: a replayed code revokes the tokens issued from it; the first pair lives.
    assert live_tokens(user) == (1, 1)
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert userinfo(winner["access_token"]) == 401


def test_refreshes_racing_a_revocation_leave_nothing_alive(user, application):
    tokens = obtain_tokens(http(), user=user, application=application, scope="read")

    revoked, *refreshed = run_together(
        lambda: revoke(http(), application, tokens["refresh_token"], token_type_hint="refresh_token"),
        *[lambda: refresh(http(), application, tokens["refresh_token"])] * 5,
    )

    assert revoked.status_code == 200
    # Whichever went first, the others are uses of a revoked or rotated token: none outlives them.
    assert outcomes(refreshed) in (
        {(400, "invalid_grant"): 5},
        {(200, None): 1, (400, "invalid_grant"): 4},
    )
    assert live_tokens(user) == (0, 0)
    for response in refreshed:
        if response.status_code == 200:
            assert userinfo(response.json()["access_token"]) == 401
    assert userinfo(tokens["access_token"]) == 401


def wait_for_a_lock_wait(timeout: float = 10) -> None:
    """Return once some connection waits for a row lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("nothing waited for a lock")


def test_a_refresh_in_flight_during_a_revoke_all_leaves_nothing_alive(user, application, monkeypatch):
    """Connected apps' revoke and account deletion sweep with revoke_tokens: a refresh that has
    its token locked when the sweep starts must not leave its new pair alive once the sweep
    returns. The refresh is held after validation until the sweep is seen waiting for a lock."""
    tokens = obtain_tokens(http(), user=user, application=application, scope="read")
    validated, release = threading.Event(), threading.Event()
    validate = GatehouseValidator.validate_refresh_token

    def held_validate(self, *args, **kwargs):
        valid = validate(self, *args, **kwargs)
        validated.set()
        release.wait(timeout=30)
        return valid

    monkeypatch.setattr(GatehouseValidator, "validate_refresh_token", held_validate)

    def sweep() -> int:
        validated.wait(timeout=30)
        return revoke_tokens(user=user, applications=[application])

    def conductor() -> None:
        validated.wait(timeout=30)
        wait_for_a_lock_wait()
        release.set()

    refreshed, swept, _ = run_together(
        lambda: refresh(http(), application, tokens["refresh_token"]), sweep, conductor
    )

    assert refreshed.status_code == 200
    assert isinstance(swept, int)
    assert live_tokens(user) == (0, 0)
    assert userinfo(refreshed.json()["access_token"]) == 401
    assert refresh(http(), application, refreshed.json()["refresh_token"]).status_code == 400


def test_two_browsers_presenting_one_request_uri_have_one_winner(user, application):
    from urllib.parse import urlencode

    from tests.oauth_flow import CLIENT_SECRET, authorize_params, basic_auth, form_post

    _, challenge = pkce_pair()
    pushed = form_post(
        http(),
        "/o/par/",
        authorize_params(application, scope="openid", challenge=challenge),
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    url = "/o/authorize/?" + urlencode(
        {"client_id": application.client_id, "request_uri": pushed.json()["request_uri"]}
    )
    browsers = [http(), http()]
    for browser in browsers:
        browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    statuses = run_together(*(lambda b=b: b.get(url).status_code for b in browsers))
    assert sorted(statuses) == [200, 400]


def test_no_exchanged_token_outlives_a_subject_revoked_meanwhile(user, developer):
    """RFC 8693 downscoping against a revocation of its subject: whichever the database lets go
    first, no exchanged token outlives its subject, and the revocation always answers 200: it
    takes the subject's row lock before collecting what to delete (GatehouseValidator.revoke_token),
    so an exchange either committed before the collection or finds the subject gone."""
    from apps.oauth.models import Application, TokenExchange
    from tests.oauth.test_token_exchange import GRANT, downscope

    gateway = make_client(
        developer, name="Gateway", grant_types=[Application.GRANT_AUTHORIZATION_CODE, GRANT]
    )
    for _ in range(5):
        subject = obtain_tokens(http(), user=user, application=gateway, scope="openid read")

        *exchanges, revoked = run_together(
            *[lambda: downscope(http(), gateway, subject["access_token"])] * 3,
            lambda: revoke(http(), gateway, subject["access_token"]),
        )

        assert all(getattr(r, "status_code", None) in (200, 400) for r in exchanges), outcomes(exchanges)
        assert getattr(revoked, "status_code", None) == 200, outcomes([revoked])
        derived = AccessToken.objects.filter(user=user).exclude(
            token_checksum=digest(subject["access_token"])
        )
        linked = set(TokenExchange.objects.values_list("exchanged_token_id", flat=True))
        assert set(derived.values_list("pk", flat=True)) <= linked  # each one dies with its subject
        assert revoke(http(), gateway, subject["access_token"]).status_code == 200
        assert not AccessToken.objects.filter(user=user).exists()
        assert not TokenExchange.objects.exists()

"""OpenID Connect Back-Channel Logout 1.0: logout tokens, who gets them, retries, the console."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from jwcrypto import jwk, jwt
from pytest_django.asserts import assertContains

from apps.oauth import backchannel
from apps.oauth.models import Application, BackchannelDelivery
from tests.conftest import PASSWORD
from tests.oauth_flow import approve, exchange_code, make_client, pkce_pair

pytestmark = pytest.mark.django_db
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@contextmanager
def receiver(statuses=(200,)):
    """An app's back-channel logout endpoint on 127.0.0.1: answers `statuses` in turn (the last
    one from then on) and keeps every form it was posted."""
    received: list[dict] = []
    answers = list(statuses)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append({"type": self.headers["Content-Type"], **parse_qs(body)})
            status = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True


def with_logout_uri(app: Application, port: int, **fields) -> Application:
    app.backchannel_logout_uri = f"http://127.0.0.1:{port}/backchannel"
    for name, value in fields.items():
        setattr(app, name, value)
    app.save()
    return app


def sign_in(user) -> Client:
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def id_token_claims(browser: Client, app, scope="openid profile") -> dict:
    verifier, challenge = pkce_pair()
    query = approve(browser, app, scope=scope, challenge=challenge)
    response = exchange_code(browser, app, code=query["code"], verifier=verifier)
    assert response.status_code == 200, response.content
    return json.loads(jwt.JWT(jwt=response.json()["id_token"], key=jwks(browser)).claims)


def jwks(client: Client) -> jwk.JWKSet:
    return jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)


def logout_claims(client: Client, form: dict, app) -> dict:
    """Verify a received logout token as an app would (OIDC Back-Channel Logout 2.6)."""
    assert form["type"] == "application/x-www-form-urlencoded"
    token = jwt.JWT(jwt=form["logout_token"][0], key=jwks(client), expected_type="JWS")
    header = json.loads(token.header)
    assert header["typ"] == "logout+jwt" and header["alg"] == "RS256" and header["kid"]
    claims = json.loads(token.claims)
    assert claims["aud"] == app.client_id
    assert claims["iss"] == "http://testserver/o"
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims and claims["jti"] and claims["exp"] - claims["iat"] <= 120
    return claims


# --- Triggers -------------------------------------------------------------------------------------


def test_signing_out_of_the_portal_sends_the_sid_the_id_token_carried(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        id_claims = id_token_claims(browser, application)
        browser.post(reverse("account_logout"))
    assert id_claims["sid"]
    [form] = received
    claims = logout_claims(client, form, application)
    assert claims["sid"] == id_claims["sid"] and claims["sub"] == id_claims["sub"] == str(user.pk)
    delivery = BackchannelDelivery.objects.get()
    assert delivery.delivered_at and delivery.attempts == 1 and delivery.last_status == 200


def test_another_session_and_an_app_without_openid_are_not_told(client, user, application, developer):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        other = with_logout_uri(
            make_client(developer, name="Calendar", grant_types=[Application.GRANT_AUTHORIZATION_CODE]), port
        )
        laptop, phone = sign_in(user), sign_in(user)
        laptop_sid = id_token_claims(laptop, application)["sid"]
        id_token_claims(phone, application)
        verifier, challenge = pkce_pair()  # the other app gets an access token only, no ID token
        code = approve(laptop, other, scope="read", challenge=challenge)["code"]
        assert exchange_code(laptop, other, code=code, verifier=verifier).status_code == 200
        laptop.post(reverse("account_logout"))
    [form] = received
    assert logout_claims(client, form, application)["sid"] == laptop_sid


def test_rp_initiated_logout_tells_the_app(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        verifier, challenge = pkce_pair()
        code = approve(browser, application, scope="openid", challenge=challenge)["code"]
        tokens = exchange_code(browser, application, code=code, verifier=verifier).json()
        params = {"id_token_hint": tokens["id_token"], "client_id": application.client_id}
        response = browser.post("/o/logout/", {**params, "allow": "true"})
        assert response.status_code == 302
    [form] = received
    assert logout_claims(client, form, application)["sid"]


def test_ending_a_session_from_the_security_page_tells_its_apps(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        laptop = sign_in(user)
        sid = id_token_claims(laptop, application)["sid"]
        here = sign_in(user)
        from allauth.usersessions.models import UserSession

        laptop_session = UserSession.objects.get(session_key=laptop.session.session_key)
        response = here.post(reverse("accounts:end-session", args=[laptop_session.pk]))
        assert response.status_code in (200, 302)
    [form] = received
    assert logout_claims(client, form, application)["sid"] == sid


def test_signing_out_of_all_other_sessions_tells_their_apps(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        laptop, here = sign_in(user), sign_in(user)
        sid = id_token_claims(laptop, application)["sid"]
        id_token_claims(here, application)
        here.post(reverse("usersessions_list"))  # allauth's "Sign out of all other sessions"
    [form] = received
    assert logout_claims(client, form, application)["sid"] == sid


def test_a_session_signing_out_twice_is_told_once(user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        sid = id_token_claims(browser, application)["sid"]
        backchannel.session_signed_out(user=user, sid=sid)
        assert backchannel.session_signed_out(user=user, sid=sid) == []
    assert len(received) == 1


def test_revoking_the_app_ends_every_session_there(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        id_token_claims(browser, application)
        browser.post(reverse("oauth:revoke-access", args=[application.client_id]))
    [form] = received
    claims = logout_claims(client, form, application)
    assert claims["sub"] == str(user.pk) and "sid" not in claims  # 2.4: sub alone is every session


def test_an_app_that_requires_the_sid_gets_one_token_per_session(client, user, application):
    with receiver() as (port, received):
        with_logout_uri(application, port, backchannel_logout_session_required=True)
        first, second = sign_in(user), sign_in(user)
        sids = {id_token_claims(first, application)["sid"], id_token_claims(second, application)["sid"]}
        first.post(reverse("oauth:revoke-access", args=[application.client_id]))
    assert {logout_claims(client, form, application)["sid"] for form in received} == sids


def test_deleting_the_account_tells_the_apps_it_used(client, user, application):
    from tests.accounts.conftest import reauthenticate

    with receiver() as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        id_token_claims(browser, application)
        reauthenticate(browser)
        response = browser.post(reverse("accounts:delete-account"), {"confirm": "on"})
        assert response.status_code == 302
    claims = [logout_claims(client, form, application) for form in received]
    assert {c["sub"] for c in claims} == {str(user.pk)}
    assert any("sid" not in c for c in claims)  # every session of the deleted account


def test_an_app_without_a_logout_uri_is_not_contacted(client, user, application):
    browser = sign_in(user)
    id_token_claims(browser, application)
    browser.post(reverse("account_logout"))
    assert not BackchannelDelivery.objects.exists()


# --- Delivery ---------------------------------------------------------------------------------------


def delivery_for(application, user) -> BackchannelDelivery:
    return BackchannelDelivery.objects.create(
        application=application, sub=str(user.pk), sid="s1", issuer="http://testserver/o", reason="signed_out"
    )


def test_a_failure_is_recorded_with_the_next_attempt_due_later(user, application):
    with receiver([500]) as (port, _received):
        with_logout_uri(application, port)
        delivery = delivery_for(application, user)
        assert backchannel.attempt_delivery(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status == 500 and delivery.next_attempt
    assert delivery.last_error == "The app answered 500."
    assert (delivery.next_attempt - delivery.last_attempt).total_seconds() == backchannel.RETRY_BASE_SECONDS


def test_the_backoff_doubles_and_is_capped():
    delays = [backchannel.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240] and max(delays) == backchannel.RETRY_CAP_SECONDS


# The worker runs outside the test's transaction (as in tests/developer/test_verification.py).
@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_after_a_500_and_then_delivers(client, user, application, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(backchannel, "RETRY_BASE_SECONDS", 0)
    with receiver([500, 200]) as (port, received):
        with_logout_uri(application, port)
        browser = sign_in(user)
        id_token_claims(browser, application)
        browser.post(reverse("account_logout"))
        assert received == []  # queued: the sign-out did not wait for the app
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    delivery = BackchannelDelivery.objects.get()
    assert delivery.delivered_at and delivery.attempts == 2 and len(received) == 2
    first, second = (logout_claims(client, form, application) for form in received)
    assert first["jti"] != second["jti"] and first["sid"] == second["sid"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_gives_up_after_the_last_attempt(user, application, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(backchannel, "RETRY_BASE_SECONDS", 0)
    monkeypatch.setattr(backchannel, "MAX_ATTEMPTS", 3)
    with receiver([503]) as (port, received):
        with_logout_uri(application, port)
        delivery = delivery_for(application, user)
        from apps.oauth.tasks import deliver_logout

        deliver_logout.enqueue(delivery.pk)
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    delivery.refresh_from_db()
    assert len(received) == 3 and delivery.attempts == 3
    assert delivery.gave_up_at and delivery.next_attempt is None and delivery.delivered_at is None


def test_a_refusal_the_app_means_is_not_retried(user, application):
    with receiver([400]) as (port, received):
        with_logout_uri(application, port)
        delivery = delivery_for(application, user)
        assert backchannel.attempt_delivery(delivery.pk) == "gave_up"
        assert backchannel.attempt_delivery(delivery.pk) == "gone"
    assert len(received) == 1


def test_loopback_is_never_contacted_without_the_development_setting(user, application, settings):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = False
    with receiver() as (port, received):
        with_logout_uri(application, port)
        delivery = delivery_for(application, user)
        assert backchannel.attempt_delivery(delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    assert received == [] and "private or reserved" in delivery.last_error


def test_a_name_resolving_to_a_private_address_is_refused(user, application, settings, monkeypatch):
    import socket

    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.0.0.7", 443))])
    application.backchannel_logout_uri = "https://app.example.com/logout"
    application.save()
    assert backchannel.attempt_delivery(delivery_for(application, user).pk) == "gave_up"


# --- Discovery and the console ------------------------------------------------------------------------


def test_discovery_advertises_back_channel_logout_with_sessions(client):
    data = client.get("/o/.well-known/openid-configuration").json()
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True
    assert "sid" in data["claims_supported"]


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://app.example.com/logout", "Use https"),
        ("https://app.example.com/logout#x", "fragment"),
    ],
)
def test_the_console_refuses_an_unusable_logout_uri(uri, problem):
    assert problem in backchannel.uri_problem(uri)


def test_https_and_loopback_logout_uris_are_accepted():
    assert backchannel.uri_problem("https://app.example.com/logout?x=1") is None
    assert backchannel.uri_problem("http://127.0.0.1:9000/logout") is None


def test_the_app_form_saves_the_logout_uri(client, developer, application):
    from tests.developer.conftest import form_data

    client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    data = form_data(
        backchannel_logout_uri="https://printer.example.com/logout", backchannel_logout_session_required="on"
    )
    response = client.post(reverse("developer:app-edit", args=[application.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.backchannel_logout_uri == "https://printer.example.com/logout"
    assert application.backchannel_logout_session_required


def test_the_app_form_explains_the_setting(client, developer, application):
    client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "Back-channel logout URI")
    assertContains(response, "posts a signed logout token to this address")


def test_the_app_page_shows_deliveries_and_failures_in_constant_queries(
    client, developer, user, application, django_assert_num_queries
):
    application.backchannel_logout_uri = "https://printer.example.com/logout"
    application.save()
    client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("developer:app-detail", args=[application.pk])
    failed = delivery_for(application, user)
    BackchannelDelivery.objects.filter(pk=failed.pk).update(
        attempts=8, gave_up_at=failed.created, last_error="The app answered 500."
    )
    client.get(url)  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    assertContains(response, "Sign-out notices")
    assertContains(response, "1 failed")
    assertContains(response, "The app answered 500.")
    for _ in range(12):
        delivery_for(application, user)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assertContains(response, "12 waiting to be retried or sent")


def test_cleartokenfamilies_deletes_old_finished_deliveries_only(user, application):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=backchannel.KEPT_DAYS + 1)
    old_done, old_pending, recent_done = (delivery_for(application, user) for _ in range(3))
    BackchannelDelivery.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(created=long_ago)
    BackchannelDelivery.objects.filter(pk__in=[old_done.pk, recent_done.pk]).update(
        delivered_at=timezone.now()
    )
    call_command("cleartokenfamilies", verbosity=0)
    assert set(BackchannelDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent_done.pk}

"""Verification a developer asks for: the shared domain, the proof, review, and losing it on a change."""

import socket

import dns.resolver
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from apps.audit.models import AuditEvent
from apps.developer import domain_proof, verification
from apps.developer.domain_proof import MAX_BYTES, PROOF_PATH, ProofError, fetch_small
from apps.oauth.models import Application
from tests.developer.conftest import form_data
from tests.proof_server import proof_server, serving_token

State = Application.Verification
Kind = AuditEvent.Kind


def loopback_app(app: Application, port: int) -> Application:
    origin = f"https://127.0.0.1:{port}"
    app.homepage_url = f"{origin}/"
    app.privacy_policy_url = f"{origin}/privacy"
    app.terms_url = ""
    app.redirect_uris = f"{origin}/callback"
    app.save()
    return app


def request_url(app) -> str:
    return reverse("developer:app-request-verification", args=[app.pk])


def kinds(app) -> list[str]:
    return list(
        AuditEvent.objects.filter(user=app.user).order_by("created", "id").values_list("kind", flat=True)
    )


@pytest.fixture
def allow_private(settings):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True


@pytest.fixture
def txt(monkeypatch):
    """DNS at the resolver: {name: [strings]} (there is no DNS in the test environment)."""
    records: dict[str, list[str]] = {}

    class Answer(list):
        pass

    def resolve(name, rdtype, lifetime=None):
        assert rdtype == "TXT" and lifetime == domain_proof.TIMEOUT_SECONDS
        if name not in records:
            raise dns.resolver.NXDOMAIN
        return Answer(type("TXT", (), {"strings": [value.encode()]})() for value in records[name])

    monkeypatch.setattr(dns.resolver, "resolve", resolve)
    return records


# --- Which domain ------------------------------------------------------------------------------


def test_the_shared_domain_is_the_common_suffix_of_every_address(application):
    application.homepage_url = "https://www.printer.example.com/"
    application.privacy_policy_url = "https://legal.printer.example.com/privacy"
    application.redirect_uris = "https://app.printer.example.com/callback com.example.printer:/cb"
    assert verification.shared_domain(application) == "printer.example.com"


def test_addresses_on_different_domains_cannot_be_verified(application):
    application.privacy_policy_url = "https://policies.example.net/printer"
    with pytest.raises(ValidationError, match=r"privacy policy \(policies.example.net\)"):
        verification.shared_domain(application)


def test_an_app_without_a_homepage_cannot_be_verified(application):
    application.homepage_url = ""
    with pytest.raises(ValidationError, match="Add a homepage"):
        verification.shared_domain(application)


# --- The proof, end to end through the page ----------------------------------------------------


def test_a_file_proof_on_the_domain_puts_the_app_in_review(dev_client, application, allow_private):
    with proof_server(serving_token(application.verification_token)) as port:
        loopback_app(application, port)
        response = dev_client.post(request_url(application))
    assertRedirects(response, reverse("developer:app-detail", args=[application.pk]) + "#verification-title")
    application.refresh_from_db()
    assert application.verification == State.IN_REVIEW
    assert application.verification_domain == "127.0.0.1"
    assert kinds(application)[-2:] == [Kind.VERIFICATION_REQUESTED, Kind.VERIFICATION_DOMAIN_PROVEN]
    assert AuditEvent.objects.filter(kind=Kind.VERIFICATION_DOMAIN_PROVEN).get().data["method"] == "file"
    [email] = mail.outbox
    assert email.to == [application.user.email]
    assert "waiting for review" in email.subject


def test_a_dns_txt_record_proves_the_domain(dev_client, application, txt):
    txt["_gatehouse-verification.printer.example.com"] = [
        "v=spf1 -all",
        f"gatehouse-verification={application.verification_token}",
    ]
    dev_client.post(request_url(application))
    application.refresh_from_db()
    assert application.verification == State.IN_REVIEW
    assert AuditEvent.objects.get(kind=Kind.VERIFICATION_DOMAIN_PROVEN).data["method"] == "dns"


def test_without_a_proof_the_app_stays_unverified_and_says_why(dev_client, application, txt, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    monkeypatch.setattr(domain_proof, "fetch_small", lambda url: b"someone else's token")
    dev_client.post(request_url(application))
    application.refresh_from_db()
    assert application.verification == State.UNVERIFIED
    assert "No TXT record" in application.verification_note
    assert "does not hold the token" in application.verification_note
    assert Kind.VERIFICATION_CHECK_FAILED in kinds(application)
    assert "could not confirm" in mail.outbox[0].subject
    page = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(page, "does not hold the token")
    assertContains(page, "Request verification")


def test_the_panel_shows_the_record_and_the_file_to_publish(dev_client, application):
    page = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(page, "_gatehouse-verification.printer.example.com")
    assertContains(page, f"gatehouse-verification={application.verification_token}")
    assertContains(page, "https://printer.example.com/.well-known/gatehouse-verification.txt")


def test_a_request_while_in_review_is_refused(dev_client, application):
    Application.objects.filter(pk=application.pk).update(verification=State.IN_REVIEW)
    response = dev_client.post(request_url(application), follow=True)
    assertContains(response, "already in review")


def test_another_users_app_is_404(other_client, application):
    assert other_client.post(request_url(application)).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, application):
    response = client.post(request_url(application))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_get_is_not_allowed(dev_client, application):
    assert dev_client.get(request_url(application)).status_code == 405


# The worker closes its database connection when it is done, as a real one does: a test
# transaction would not survive that on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_check_runs_in_the_database_queue_and_a_worker_finishes_it(
    dev_client, application, allow_private, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with proof_server(serving_token(application.verification_token)) as port:
        loopback_app(application, port)
        dev_client.post(request_url(application))
        application.refresh_from_db()
        assert application.verification == State.CHECKING  # queued, not yet run
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    application.refresh_from_db()
    assert application.verification == State.IN_REVIEW
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)  # the email
    assert "waiting for review" in mail.outbox[0].subject


# --- Losing it --------------------------------------------------------------------------------


def verified(app: Application) -> Application:
    from apps.oauth.identity import identity_snapshot

    app.verification = State.VERIFIED
    app.verification_domain = "printer.example.com"
    app.verified_identity = identity_snapshot(app)
    app.save()
    return app


def settings_data(app, **changes) -> dict:
    """The settings form as the app stands, with `changes`."""
    same = {
        "name": app.name,
        "description": app.description,
        "homepage_url": app.homepage_url,
        "privacy_policy_url": app.privacy_policy_url,
        "terms_url": app.terms_url,
        "redirect_uris": app.redirect_uris,
    }
    return form_data(**{**same, **changes})


def test_renaming_a_verified_app_makes_it_unverified_and_tells_the_developer(dev_client, application):
    verified(application)
    response = dev_client.post(
        reverse("developer:app-edit", args=[application.pk]),
        settings_data(application, name="Photo Printer Pro"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.verification == State.UNVERIFIED
    assert "name" in application.verification_note
    assert AuditEvent.objects.get(kind=Kind.VERIFICATION_LOST).data["changed"] == ["name"]
    assert "no longer verified" in mail.outbox[0].subject


def test_a_change_elsewhere_keeps_the_badge(dev_client, application):
    verified(application)
    dev_client.post(
        reverse("developer:app-edit", args=[application.pk]),
        settings_data(application, description="Prints photos, now faster."),
    )
    application.refresh_from_db()
    assert application.verification == State.VERIFIED
    assert not mail.outbox


def test_a_new_redirect_domain_makes_it_unverified(dev_client, application):
    verified(application)
    uris = application.redirect_uris + "\nhttps://elsewhere.example.org/callback"
    dev_client.post(
        reverse("developer:app-edit", args=[application.pk]), settings_data(application, redirect_uris=uris)
    )
    application.refresh_from_db()
    assert application.verification == State.UNVERIFIED
    assert "redirect domains" in application.verification_note


def test_a_settings_save_never_writes_back_a_stale_verification_state(application):
    from apps.developer.services import save_settings

    stale = Application.objects.get(pk=application.pk)
    Application.objects.filter(pk=application.pk).update(verification=State.IN_REVIEW)
    stale.description = "Changed while the worker moved it on."
    save_settings(application=stale)
    application.refresh_from_db()
    assert application.verification == State.IN_REVIEW
    assert application.description == "Changed while the worker moved it on."


# --- The fence around the file check (SSRF) ----------------------------------------------------


def test_loopback_addresses_are_never_fetched_without_the_development_setting():
    routes = {PROOF_PATH: (200, {}, b"x")}
    with proof_server(routes) as port, pytest.raises(ProofError, match="private or reserved"):
        fetch_small(f"https://127.0.0.1:{port}{PROOF_PATH}")


@pytest.mark.parametrize(
    "address", ["10.0.0.7", "192.168.1.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fc00::1"]
)
def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch, address):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(10, 1, 6, "", (address, 443))])
    with pytest.raises(ProofError, match="private or reserved"):
        fetch_small(f"https://proof.example.com{PROOF_PATH}")


def test_plain_http_is_refused_without_the_development_setting():
    with pytest.raises(ProofError, match="Only https"):
        fetch_small(f"http://printer.example.com{PROOF_PATH}")


def test_the_connection_goes_to_the_address_resolved_once(monkeypatch, allow_private):
    """No second lookup that a rebinding DNS server could answer with another address."""
    with proof_server({PROOF_PATH: (200, {}, b"token")}) as port:
        lookups = []

        def getaddrinfo(host, *args, **kwargs):
            lookups.append(host)
            return [(2, 1, 6, "", ("127.0.0.1", port))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        assert fetch_small(f"http://proof.example.com:{port}{PROOF_PATH}") == b"token"
    # The name is looked up once; the connection only parses the address pinned from it.
    assert lookups == ["proof.example.com", "127.0.0.1"]


def test_more_than_4_kb_is_refused(allow_private):
    routes = {PROOF_PATH: (200, {}, b"x" * (MAX_BYTES + 1))}
    with proof_server(routes) as port, pytest.raises(ProofError, match="larger than 4096 bytes"):
        fetch_small(f"http://127.0.0.1:{port}{PROOF_PATH}")


def test_a_redirect_to_another_host_is_not_followed(allow_private):
    routes = {PROOF_PATH: (302, {"Location": "http://metadata.internal/latest"}, b"")}
    with proof_server(routes) as port, pytest.raises(ProofError, match="redirected to another host"):
        fetch_small(f"http://127.0.0.1:{port}{PROOF_PATH}")


def test_a_redirect_on_the_same_host_is_followed(allow_private):
    routes = {
        PROOF_PATH: (301, {"Location": "/proof.txt"}, b""),
        "/proof.txt": (200, {}, b"token"),
    }
    with proof_server(routes) as port:
        assert fetch_small(f"http://127.0.0.1:{port}{PROOF_PATH}") == b"token"


def test_a_server_that_never_answers_times_out(allow_private, monkeypatch):
    monkeypatch.setattr(domain_proof, "TIMEOUT_SECONDS", 0.3)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        with pytest.raises(ProofError, match="could not be fetched"):
            fetch_small(f"http://127.0.0.1:{listener.getsockname()[1]}{PROOF_PATH}")
    finally:
        listener.close()

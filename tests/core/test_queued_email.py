"""Outgoing email goes through the task queue: an SMTP outage delays mail, never a sign-up."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps.accounts.models import User
from apps.core import mail as queued_mail

pytestmark = pytest.mark.django_db

STRONG = "correct-horse-battery-staple-9"


class FlakySMTP(LocmemBackend):
    """A mail server that is down for the first `outage` sends, then delivers (to mail.outbox)."""

    outage = 1
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).outage:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def queued(settings, monkeypatch):
    settings.EMAIL_BACKEND = "apps.core.mail.QueuedEmailBackend"
    settings.GATEHOUSE_EMAIL_DELIVERY_BACKEND = f"{__name__}.FlakySMTP"
    FlakySMTP.attempts, FlakySMTP.outage = 0, 1
    monkeypatch.setattr(queued_mail, "RETRY_BASE_SECONDS", 0)


def signup(client):
    return client.post(
        reverse("account_signup"), {"email": "new@example.com", "password1": STRONG, "password2": STRONG}
    )


def work():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


# The worker runs outside the test's transaction (as in tests/developer/test_verification.py).
@pytest.mark.django_db(transaction=True)
def test_an_smtp_outage_does_not_fail_a_sign_up_and_the_mail_follows(client, queued, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = signup(client)
    assert response.status_code == 302 and User.objects.filter(email="new@example.com").exists()
    assert mail.outbox == []  # queued, not sent in the request
    work()
    assert FlakySMTP.attempts == 2
    [message] = mail.outbox
    assert message.to == ["new@example.com"] and "/accounts/confirm-email/" in message.body


@pytest.mark.django_db(transaction=True)
def test_the_queue_never_holds_the_verification_link_in_plaintext(client, queued, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    signup(client)
    [row] = DBTaskResult.objects.all()
    stored = str(row.args_kwargs)
    assert "confirm-email" not in stored and "new@example.com" not in stored
    FlakySMTP.outage = 0
    work()
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_down_for_good_is_given_up_after_the_last_attempt(
    client, queued, settings, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(queued_mail, "MAX_ATTEMPTS", 3)
    FlakySMTP.outage = 100
    signup(client)
    work()
    assert FlakySMTP.attempts == 3 and mail.outbox == []
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1


def test_a_message_keeps_its_html_part_and_headers_through_the_queue():
    message = mail.EmailMultiAlternatives(
        "Hi", "plain", "from@example.com", ["to@example.com"], headers={"X-A": "1"}
    )
    message.attach_alternative("<p>html</p>", "text/html")
    back = queued_mail.unseal(queued_mail.seal(message))
    assert (back.subject, back.body, back.to, back.extra_headers) == (
        "Hi",
        "plain",
        ["to@example.com"],
        {"X-A": "1"},
    )
    assert back.alternatives[0][:2] == ("<p>html</p>", "text/html")


def test_a_message_sealed_under_a_rotated_key_still_opens(settings):
    message = mail.EmailMessage("Hi", "body", None, ["to@example.com"])
    sealed = queued_mail.seal(message)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert queued_mail.unseal(sealed).body == "body"
    settings.SECRET_KEY_FALLBACKS = []
    assert queued_mail.unseal(sealed) is None

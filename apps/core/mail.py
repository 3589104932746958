"""Outgoing email leaves the request: the configured backend only queues, a task sends.

`EMAIL_BACKEND` is `QueuedEmailBackend`, so every message (allauth's verification and reset
mails, our new-device, new-app and verification notices, Django's own) is rendered in the
request, in its language, and handed to the `send_email` task (apps.core.tasks), which sends it
through `GATEHOUSE_EMAIL_DELIVERY_BACKEND` (console, file or SMTP) and retries with backoff.
An SMTP outage delays mail instead of failing a sign-up.

A queued message can hold a secret (a password-reset or verification link), and the queue is a
database table: the message is stored encrypted (Fernet, a key derived from SECRET_KEY; its
fallbacks still open messages queued before a rotation), never in plaintext.
"""

import base64
import json
import logging
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.crypto import salted_hmac

log = logging.getLogger(__name__)

# Retry policy: 1, 2, 4 ... minutes, at most an hour apart, ten attempts (about seven hours).
MAX_ATTEMPTS = 10
RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 3600


def _cipher() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    keys = [
        base64.urlsafe_b64encode(
            salted_hmac("gatehouse.queued-email", "key", secret=secret, algorithm="sha256").digest()
        )
        for secret in secrets
    ]
    return MultiFernet([Fernet(key) for key in keys])


def seal(message) -> str:
    """The message as an encrypted string a task argument can carry (attachments are not kept)."""
    data = {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }
    if message.attachments:
        log.warning("queued email %r loses its %d attachments", data["subject"], len(message.attachments))
    return _cipher().encrypt(json.dumps(data).encode()).decode()


def unseal(sealed: str) -> EmailMultiAlternatives | None:
    try:
        data = json.loads(_cipher().decrypt(sealed.encode()))
    except InvalidToken:
        return None  # sealed under a secret key no longer configured
    alternatives = data.pop("alternatives")
    message = EmailMultiAlternatives(**data)
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    return message


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_CAP_SECONDS))


def deliver(sealed: str, attempt: int) -> str:
    """Send one queued message (the task's body); on failure queue the next attempt."""
    from django_tasks import task_backends

    from apps.core.tasks import send_email

    message = unseal(sealed)
    if message is None:
        log.error("a queued email could not be decrypted: SECRET_KEY changed without a fallback")
        return "unreadable"
    try:
        get_connection(settings.GATEHOUSE_EMAIL_DELIVERY_BACKEND).send_messages([message])
    except Exception as exc:  # an SMTP outage, a refused connection, a timeout: try again later
        if attempt >= MAX_ATTEMPTS or not task_backends[send_email.backend].supports_defer:
            log.error(
                "email %r not sent after %d attempts (%s)", message.subject, attempt, exc.__class__.__name__
            )
            raise
        from django.utils import timezone

        log.warning(
            "email %r not sent (%s); attempt %d follows", message.subject, exc.__class__.__name__, attempt + 1
        )
        send_email.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(sealed, attempt + 1)
        return "retrying"
    return "sent"


class QueuedEmailBackend(BaseEmailBackend):
    """Queues each message for `send_email`; the request never waits for the mail server."""

    def send_messages(self, email_messages) -> int:
        from apps.core.tasks import send_email

        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                send_email.enqueue(seal(message), 1)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            count += 1
        return count

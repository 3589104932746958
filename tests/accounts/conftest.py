"""Fixtures for account pages: pictures made with Pillow, real sessions, TOTP codes (RFC 6238)."""

import base64
import hashlib
import hmac
import io
import struct
import time
from importlib import import_module

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.conftest import PASSWORD


def image_bytes(size=(300, 200), fmt="PNG", mode="RGB", color="teal", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(name="me.png", content=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if content is None else content, content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a throwaway folder through the configured storage API."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_session(user, *, user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/130.0", ip="203.0.113.7"):
    """A real signed-in session in the session store, tracked by allauth.usersessions."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return UserSession.objects.create(user=user, session_key=store.session_key, ip=ip, user_agent=user_agent)


TOTP_PERIOD = 30


def totp_now(secret: str) -> str:
    """RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for the clock's current period, as any authenticator
    app computes it. Tests freeze the clock first (`totp_clock`), so the code is still current
    when it is submitted, however slow the browser: allauth accepts only the current period.
    """
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(time.time()) // TOTP_PERIOD
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def freeze_in_a_totp_period(time_machine) -> float:
    """Stop the clock (for the live server's thread too) one second into the current period."""
    instant = time.time() // TOTP_PERIOD * TOTP_PERIOD + 1
    time_machine.move_to(instant, tick=False)
    return instant


@pytest.fixture
def totp_clock(time_machine) -> float:
    return freeze_in_a_totp_period(time_machine)


def reauthenticate(client, password=PASSWORD):
    """allauth's 'confirm it's you' step, by password."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content[:400]
    return response


def sign_in(client, email="ada@example.com", password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.fixture
def reauthed_client(auth_client):
    reauthenticate(auth_client)
    return auth_client

"""Sessions cached by a hash of their key: the cache (Redis in production) never holds a session key."""

import hashlib

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings

from apps.accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


def entry(session_key: str) -> str:
    return SessionStore.cache_key_prefix + hashlib.sha256(session_key.encode()).hexdigest()


def test_a_session_is_cached_under_a_hash_of_its_key_and_stored_in_the_database():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    cache = caches["default"]
    assert cache.get(SessionStore.cache_key_prefix + store.session_key) is None
    assert cache.get(entry(store.session_key)) == {"colour": "green"}
    assert Session.objects.filter(session_key=store.session_key).exists()
    assert SessionStore(store.session_key)["colour"] == "green"
    assert store.exists(store.session_key)


def test_a_deleted_session_is_gone_from_the_cache_and_the_database():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    key = store.session_key
    store.delete()
    assert caches["default"].get(entry(key)) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert not SessionStore(key).exists(key)
    assert "colour" not in SessionStore(key)


def test_a_flushed_cache_signs_nobody_out():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    caches["default"].clear()
    assert SessionStore(store.session_key)["colour"] == "green"


@override_settings(SESSION_ENGINE="apps.accounts.session_store")
def test_signing_in_and_out_through_the_pages(user):
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    key = browser.session.session_key
    assert browser.get("/connected-apps/").status_code == 200
    assert caches["default"].get(SessionStore.cache_key_prefix + key) is None
    browser.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert browser.get("/connected-apps/").status_code == 302

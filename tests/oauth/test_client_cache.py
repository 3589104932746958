"""Clients at the token and introspection endpoints come from the shared cache, and every change
to what was loaded with them (the app, its secrets, its owner, the owner's profile) is seen at once."""

import pickle

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Profile
from apps.accounts.services import update_profile
from apps.oauth.models import Application
from apps.oauth.secrets import client_key, create_client_secret, delete_client_secret, load_client
from apps.staff.services import suspend_application
from tests.conftest import make_user
from tests.oauth_flow import CLIENT_SECRET, basic_auth, make_client, token_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def machine(developer) -> Application:
    app = make_client(developer, name="Nightly Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    cache.clear()  # creating it left tombstones, which keep a fresh row out of the cache for a while
    return app


def grant(app: Application, secret: str = CLIENT_SECRET):
    return token_request(Client(), {"grant_type": "client_credentials"}, **basic_auth(app.client_id, secret))


def client_selects(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "oauth_application"' in q["sql"]]


def test_a_warm_client_costs_no_query(machine):
    assert grant(machine).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert grant(machine).status_code == 200
    assert client_selects(queries) == []


def test_the_cache_holds_no_password_hash_and_no_secret(machine, developer):
    grant(machine)
    cached = pickle.dumps(cache.get(client_key(machine.client_id)))
    assert developer.password.encode() not in cached
    assert CLIENT_SECRET.encode() not in cached


def test_a_deleted_secret_is_refused_at_once_and_a_new_one_works(machine):
    assert grant(machine).status_code == 200
    new, value = create_client_secret(application=machine)
    assert grant(machine, value).status_code == 200
    old = machine.secrets.exclude(pk=new.pk).get()
    delete_client_secret(secret=old)
    refused = grant(machine)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert grant(machine, value).status_code == 200


def test_a_suspended_app_is_refused_at_once(machine):
    assert grant(machine).status_code == 200
    staff = make_user("staff@example.com", is_staff=True)
    request = RequestFactory().post("/")
    request.user = staff
    suspend_application(application=machine, staff=staff, reason="Phishing", request=request)
    assert grant(machine).json()["error"] == "invalid_client"


def test_the_owner_and_their_profile_are_fresh(machine, developer):
    load_client(machine.client_id)
    update_profile(user=developer, data={"display_name": "Backup Corp"}, partial=True)
    assert load_client(machine.client_id).publisher == "Backup Corp"
    developer.first_name, developer.last_name = "Ada", "Lovelace"
    developer.save()
    assert load_client(machine.client_id).user.get_full_name() == "Ada Lovelace"


def test_a_renamed_app_is_fresh(machine):
    load_client(machine.client_id)
    machine.name = "Weekly Backup"
    machine.save()
    assert load_client(machine.client_id).name == "Weekly Backup"


def test_a_changed_client_id_leaves_no_cached_client_under_the_old_one(machine):
    old = machine.client_id
    assert grant(machine).status_code == 200
    machine.client_id = "renamed-by-staff"
    machine.save()
    assert load_client(old) is None
    assert load_client("renamed-by-staff").pk == machine.pk


def test_dot_s_own_secret_column_stays_out_of_the_cache(machine):
    Application.objects.filter(pk=machine.pk).update(
        client_secret="plain-dot-secret", hash_client_secret=False
    )
    cache.clear()
    assert load_client(machine.client_id).client_secret == "plain-dot-secret"  # the row, as loaded
    assert b"plain-dot-secret" not in pickle.dumps(cache.get(client_key(machine.client_id)))
    assert grant(machine).status_code == 200  # from the cache: DOT's column was never the secret


def test_a_profile_made_after_the_client_was_cached_is_seen(machine, developer):
    Profile.objects.filter(user=developer).delete()
    cache.clear()
    assert load_client(machine.client_id).publisher == "Dev Eloper"
    Profile.objects.create(user=developer, display_name="Backup Corp")
    assert load_client(machine.client_id).publisher == "Backup Corp"

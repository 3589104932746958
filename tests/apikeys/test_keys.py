"""Personal API keys: format, storage (hash only), lookup, expiry, "last used"."""

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.apikeys.models import APIKey
from apps.apikeys.services import available_scopes, find_api_key, revoke_api_key
from apps.audit.models import AuditEvent

KEY_FORMAT = re.compile(r"gatehouse_[A-Za-z0-9]{12}_[A-Za-z0-9]{49}")


def me(client, raw: str):
    return client.get("/api/me/", headers={"Authorization": f"Bearer {raw}"})


def test_a_key_has_a_recognisable_prefix_and_256_bits_of_secret(make_key):
    api_key, raw = make_key()
    assert KEY_FORMAT.fullmatch(raw)
    assert raw.startswith(f"gatehouse_{api_key.key_id}_")
    assert len(raw.rsplit("_", 1)[1]) == 43 + 6  # 43 base62 characters: 256 bits; then the checksum


def test_a_key_is_stored_only_as_a_keyed_hash(make_key):
    api_key, raw = make_key()
    stored = APIKey.objects.get(pk=api_key.pk)
    assert stored.key_hash.startswith("gatehouse_sha256$")
    assert raw not in stored.key_hash
    assert raw.rsplit("_", 1)[1] not in str(stored.__dict__)


def test_a_database_dump_contains_no_key(make_key, client):
    raws = [make_key(name=f"key {n}")[1] for n in range(3)]
    for raw in raws:
        assert me(client, raw).status_code == 200  # used, so every column is filled in
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    assert "apikeys.apikey" in dump
    for raw in raws:
        assert raw not in dump
        assert raw.rsplit("_", 1)[1] not in dump


def test_creating_and_revoking_a_key_is_audited(make_key, user):
    api_key, raw = make_key()
    revoke_api_key(api_key=api_key)
    kinds = list(AuditEvent.objects.filter(user=user).values_list("kind", "data"))
    assert (AuditEvent.Kind.KEY_REVOKED, {"name": "backup script", "key_id": api_key.key_id}) in kinds
    created = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.KEY_CREATED)
    assert raw not in str(created.data)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: raw.replace("gatehouse_", "gatehouses_"),
        lambda raw: raw.replace("gatehouse_", "gh_pat_")[:-6],
        lambda raw: raw + "x",
        lambda raw: raw[:20],
        lambda raw: raw.replace("_", "-"),
    ],
)
def test_a_wrong_or_malformed_key_finds_nothing(make_key, mangle):
    _, raw = make_key()
    assert find_api_key(mangle(raw)) is None


def test_an_expired_key_finds_nothing(make_key):
    _, raw = make_key(expires=timezone.now() - timedelta(minutes=1))
    assert find_api_key(raw) is None


def test_a_key_of_an_inactive_user_finds_nothing(make_key, user, client):
    _, raw = make_key()
    user.is_active = False
    user.save()
    assert find_api_key(raw) is None
    assert me(client, raw).status_code == 401


def test_a_revoked_key_gets_401(make_key, client):
    api_key, raw = make_key()
    assert me(client, raw).status_code == 200
    revoke_api_key(api_key=api_key)
    response = me(client, raw)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_keys_scopes_are_enforced(make_key, client):
    _, raw = make_key(["read_profile"])
    assert client.get("/api/profile/", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert me(client, raw).status_code == 403  # `read` is not `read_profile`


def test_only_staff_may_give_a_key_the_admin_scope(user, other_user):
    other_user.is_staff = True
    assert "admin" not in available_scopes(user)
    assert "admin" in available_scopes(other_user)
    assert set(available_scopes(user)) == {"read", "read_profile", "write", "write_profile"}


def test_last_used_is_written_at_most_once_a_minute(make_key, client, time_machine):
    api_key, raw = make_key()
    assert api_key.last_used is None
    me(client, raw)
    first = APIKey.objects.get(pk=api_key.pk).last_used
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert me(client, raw).status_code == 200
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "apikeys_apikey" in q["sql"]
    ]
    assert APIKey.objects.get(pk=api_key.pk).last_used == first
    # A minute later the next use is recorded again (the shared cache's note of the write has
    # expired by then: cleared here, as Redis's clock does not travel).
    time_machine.move_to(first + timedelta(seconds=61), tick=False)
    cache.clear()
    me(client, raw)
    assert APIKey.objects.get(pk=api_key.pk).last_used > first


def test_staff_find_a_leaked_key_by_its_id_and_revoke_it(client, make_key, other_user, user):
    api_key, raw = make_key()
    other_user.is_staff = other_user.is_superuser = True
    other_user.save()
    client.force_login(other_user, backend="django.contrib.auth.backends.ModelBackend")
    key_id = raw.split("_")[1]
    found = client.get("/admin/apikeys/apikey/", {"q": key_id})
    assert found.status_code == 200
    assert api_key.name in found.content.decode()
    response = client.post(
        "/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [api_key.pk], "index": 0}
    )
    assert response.status_code == 302
    assert not APIKey.objects.filter(pk=api_key.pk).exists()
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.KEY_REVOKED).exists()

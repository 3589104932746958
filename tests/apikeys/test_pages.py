"""The API keys page: list, create (the key shown once), revoke."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from apps.apikeys.models import APIKey
from apps.audit.models import AuditEvent
from tests.html import input_value

LIST = "/settings/api-keys/"
CREATE = "/settings/api-keys/new/"
HTMX = {"HX-Request": "true"}


def create(client, **extra):
    data = {"name": "Backup script", "scopes": ["read", "read_profile"], "expires_in": "90", **extra}
    return client.post(CREATE, data, headers=extra.pop("headers", None) or {})


def test_key_list_url_is_named(db):
    assert reverse("apikeys:key-list") == LIST


def test_key_list_shows_only_my_keys(auth_client, make_key, other_user):
    make_key(name="Laptop backup")
    make_key(name="Grace's key", for_user=other_user)
    response = auth_client.get(LIST)
    assertContains(response, "<h1>API keys</h1>", html=True)
    assertContains(response, "Laptop backup")
    assertNotContains(response, "Grace&#x27;s key")
    assertContains(response, "gatehouse_")


def test_key_list_without_keys_says_so(auth_client):
    assertContains(auth_client.get(LIST), "You have no API keys yet.")


def test_key_list_needs_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_key_list_offers_admin_only_to_staff(auth_client, user):
    assertNotContains(auth_client.get(LIST), 'value="admin"')
    user.is_staff = True
    user.save()
    assertContains(auth_client.get(LIST), 'value="admin"')


@pytest.mark.parametrize("keys", [1, 50])
def test_key_list_queries_do_not_grow_with_keys(auth_client, make_key, keys, django_assert_max_num_queries):
    for number in range(keys):
        make_key(name=f"key {number}")
    auth_client.get(LIST)  # the session's first request records it (allauth's usersessions)
    with django_assert_max_num_queries(8):  # 7 are the session, user and allauth middleware
        response = auth_client.get(LIST)
    assert response.content.decode().count('<tr id="key-') == keys


# --- Create ------------------------------------------------------------------------------------


def test_creating_a_key_shows_it_once(auth_client, user):
    response = create(auth_client)
    assert response.status_code == 200
    [api_key] = APIKey.objects.filter(user=user)
    raw = input_value(response, "new-key")
    assert raw.startswith(f"gatehouse_{api_key.key_id}_")
    assertContains(response, f'value="{raw}"')
    assertContains(response, "this is the only time you will see it")
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    assert api_key.scopes == ["read", "read_profile"]
    assert api_key.expires is not None
    assertNotContains(auth_client.get(LIST), raw)
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.KEY_CREATED).exists()


def test_creating_a_key_with_htmx_returns_the_fragment(auth_client):
    response = auth_client.post(
        CREATE, {"name": "CI", "scopes": ["read"], "expires_in": "never"}, headers=HTMX
    )
    assert b"<html" not in response.content
    assertContains(response, 'id="api-keys"')
    assertContains(response, 'id="new-key"')
    assert APIKey.objects.get(name="CI").expires is None


def test_creating_a_key_without_scopes_shows_the_error(auth_client, user):
    response = create(auth_client, scopes=[])
    assertContains(response, "Choose at least one scope.")
    assert not APIKey.objects.filter(user=user).exists()


def test_a_non_staff_user_cannot_post_the_admin_scope(auth_client, user):
    response = create(auth_client, scopes=["read", "admin"])
    assertContains(response, "is not one of the available choices")
    assert not APIKey.objects.filter(user=user).exists()


def test_creating_a_key_needs_sign_in(client, db):
    response = create(client)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not APIKey.objects.exists()


def test_creating_a_key_is_post_only(auth_client):
    assert auth_client.get(CREATE).status_code == 405


# --- Revoke ------------------------------------------------------------------------------------


def revoke_url(api_key) -> str:
    return reverse("apikeys:key-revoke", args=[api_key.pk])


def test_revoking_my_key_deletes_it(auth_client, make_key, user):
    api_key, _ = make_key()
    response = auth_client.post(revoke_url(api_key))
    assertRedirects(response, LIST)
    assert not APIKey.objects.filter(pk=api_key.pk).exists()
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.KEY_REVOKED).exists()


def test_revoking_with_htmx_returns_the_updated_list(auth_client, make_key):
    api_key, _ = make_key(name="Old laptop")
    response = auth_client.post(revoke_url(api_key), headers=HTMX)
    assert b"<html" not in response.content
    assertNotContains(response, "<td>Old laptop")
    assertContains(response, "The key “Old laptop” is revoked; it no longer works.")


def test_revoking_another_users_key_is_404(auth_client, make_key, other_user):
    api_key, _ = make_key(for_user=other_user)
    assert auth_client.post(revoke_url(api_key)).status_code == 404
    assert APIKey.objects.filter(pk=api_key.pk).exists()


def test_revoking_needs_sign_in(client, make_key):
    api_key, _ = make_key()
    response = client.post(revoke_url(api_key))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert APIKey.objects.filter(pk=api_key.pk).exists()


def test_revoking_is_post_only(auth_client, make_key):
    api_key, _ = make_key()
    assert auth_client.get(revoke_url(api_key)).status_code == 405

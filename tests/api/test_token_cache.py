"""Bearer credentials are validated from the shared cache, and every revocation reaches it at once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from oauthlib.common import Request as OauthlibRequest
from rest_framework.request import Request

from apps.accounts.models import Profile
from apps.accounts.services import delete_account
from apps.apikeys.authentication import APIKeyAuthentication
from apps.apikeys.models import APIKey
from apps.apikeys.services import find_api_key
from apps.core import cache as cache_steps
from apps.core import rowcache
from apps.oauth.validators import GatehouseValidator
from tests.api.conftest import bearer, stored_token
from tests.oauth_flow import CLIENT_SECRET, form_post, refresh

pytestmark = pytest.mark.django_db

ME = "/api/me/"


def me(client, credential: str) -> int:
    return client.get(ME, headers=bearer(credential)).status_code


@pytest.fixture
def key(api_key) -> str:
    return api_key(["read", "write"])


@pytest.fixture
def token(issue) -> str:
    return issue("openid read write")["access_token"]


def validate(raw: str) -> bool:
    """What the API's token authentication asks DOT: the bearer-token check alone."""
    return GatehouseValidator().validate_bearer_token(raw, ["read"], OauthlibRequest("https://t/api/me/"))


def authenticate_key(raw: str):
    request = RequestFactory().get(ME, headers=bearer(raw))
    return APIKeyAuthentication().authenticate(Request(request))


# --- SQL per validation -------------------------------------------------------------------


def test_a_warm_token_is_validated_without_sql(token, client, django_assert_num_queries):
    assert me(client, token) == 200
    with django_assert_num_queries(0):
        assert validate(token)


def test_a_warm_key_is_validated_without_sql(key, client, django_assert_num_queries):
    assert me(client, key) == 200
    with django_assert_num_queries(0):
        assert authenticate_key(key) is not None


def test_a_cold_token_costs_one_statement(token, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(1):
        assert validate(token)


def test_a_cold_key_costs_one_statement(key, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(1):
        assert find_api_key(key) is not None


@pytest.mark.parametrize("credential", ["token", "key"])
def test_a_warm_api_me_request_runs_no_sql(credential, request, client, django_assert_num_queries):
    raw = request.getfixturevalue(credential)
    assert me(client, raw) == 200  # creates the key's user's profile, which the next one caches
    assert me(client, raw) == 200
    with django_assert_num_queries(0):
        response = client.get(ME, headers=bearer(raw))
    assert response.status_code == 200
    assert response.json()["username"] == "ada"


@pytest.mark.parametrize("credential", ["token", "key"])
def test_a_warm_api_me_request_reads_its_profile_with_its_credential(credential, request, client):
    raw = request.getfixturevalue(credential)
    assert me(client, raw) == 200  # makes the key's user's profile
    cache.clear()
    assert me(client, raw) == 200  # caches the credential, its user and their profile
    with mock.patch.object(rowcache, "fetch", wraps=rowcache.fetch) as fetched:
        assert client.get(ME, headers=bearer(raw)).json()["profile"]["display_name"] == ""
    assert [call.kwargs["kind"] for call in fetched.call_args_list] == [
        "access_token" if credential == "token" else "api_key"
    ]


@pytest.mark.skipif(not hasattr(cache, "run_script"), reason="Redis only (CI's PostgreSQL and Redis pass)")
@pytest.mark.parametrize("credential", ["token", "key"])
def test_on_redis_a_warm_api_me_request_costs_one_round_trip(credential, request, client):
    raw = request.getfixturevalue(credential)
    assert me(client, raw) == 200
    cache.clear()
    assert me(client, raw) == 200
    assert me(client, raw) == 200  # last-used stamps settled for the minute
    redis = cache._cache.get_client(write=True)
    with mock.patch.object(redis, "execute_command", wraps=redis.execute_command) as sent:
        assert me(client, raw) == 200
    # The credential with its user and profile, counting its rate-limit window on the way.
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA"]


def test_a_user_without_a_profile_row_is_still_served_from_the_cache(
    token, client, user, django_assert_num_queries
):
    Profile.objects.filter(user=user).delete()
    cache.clear()
    assert validate(token)  # fills the cache: the token, its user and app, no profile
    with django_assert_num_queries(0):
        assert validate(token)
    assert me(client, token) == 200  # makes the profile, which a later fill caches with the token
    assert Profile.objects.filter(user=user).exists()


def test_an_entry_cached_before_its_related_keys_were_listed_is_still_a_hit(
    token, client, django_assert_num_queries
):
    assert me(client, token) == 200
    row = stored_token(token)
    cache.delete(rowcache.row_key(type(row), row.token_checksum) + "|with")  # as an older node wrote it
    with django_assert_num_queries(0):
        assert validate(token)


def test_an_unknown_token_is_never_cached_as_valid(client):
    assert me(client, "not-a-token") == 401
    assert me(client, "not-a-token") == 401


def test_the_cache_holds_no_raw_token_password_or_token_column(token, client, user):
    assert me(client, token) == 200
    row = stored_token(token)
    cached = cache.get(rowcache.row_key(type(row), row.token_checksum))
    assert cached.pk == row.pk and "token" not in vars(cached)
    assert "password" not in vars(cache.get(rowcache.row_key(type(user), user.pk)))
    assert token not in repr(cache.get_many([rowcache.row_key(type(row), row.token_checksum)]))


# --- Expiry -------------------------------------------------------------------------------


def test_an_expired_token_is_refused_even_while_cached(token, client, time_machine):
    assert me(client, token) == 200
    time_machine.move_to(stored_token(token).expires + timedelta(seconds=1), tick=False)
    assert me(client, token) == 401


def test_an_expired_key_is_refused_even_while_cached(api_key, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    raw = api_key(["read"], expires=timezone.now() + timedelta(hours=1))
    assert me(client, raw) == 200
    time_machine.shift(timedelta(hours=1, seconds=1))
    assert me(client, raw) == 401


def test_a_token_is_cached_no_longer_than_it_lives(token, client, monkeypatch):
    row = stored_token(token)
    row.expires = timezone.now() + timedelta(seconds=42)
    row.save()
    timeouts, add_with = {}, cache_steps.add_with

    def spy(key, value, timeout, others):
        timeouts[key] = timeout
        return add_with(key, value, timeout, others)

    monkeypatch.setattr(cache_steps, "add_with", spy)
    assert me(client, token) == 200
    assert 0 < timeouts[rowcache.row_key(type(row), row.token_checksum)] <= 42


# --- Every way of taking a credential back reaches the cache at once ----------------------


def rfc7009(ctx):
    response = form_post(
        ctx.client,
        reverse("oauth2_provider:revoke-token"),
        {"token": ctx.raw, "client_id": ctx.application.client_id, "client_secret": CLIENT_SECRET},
    )
    assert response.status_code == 200


def connected_app(ctx):
    ctx.signed_in().post(reverse("oauth:revoke-access", args=[ctx.application.client_id]))


def connected_app_scope(ctx):
    ctx.signed_in().post(reverse("oauth:remove-scope", args=[ctx.application.client_id, "read"]))


def connected_apps_revoke_all(ctx):
    ctx.signed_in().post(reverse("oauth:revoke-all"))


def api_revoke_self(ctx):
    assert ctx.client.post("/api/token/revoke/", headers=bearer(ctx.raw)).status_code == 204


def api_disconnect_app(ctx):
    url = f"/api/connected-apps/{ctx.application.client_id}/"
    assert ctx.client.delete(url, headers=bearer(ctx.other_key)).status_code == 204


def api_revoke_all(ctx):
    assert ctx.client.post("/api/tokens/revoke-all/", headers=bearer(ctx.other_key)).status_code == 200


def refresh_replay(ctx):
    first = refresh(ctx.client, ctx.application, ctx.tokens["refresh_token"])
    assert first.status_code == 200
    ctx.raw = first.json()["access_token"]  # the family's live token: the replay must end it
    assert me(ctx.client, ctx.raw) == 200
    assert refresh(ctx.client, ctx.application, ctx.tokens["refresh_token"]).status_code == 400


def refresh_rotation(ctx):
    assert refresh(ctx.client, ctx.application, ctx.tokens["refresh_token"]).status_code == 200


def account_deletion(ctx):
    delete_account(user=ctx.user)


def app_deletion(ctx):
    url = reverse("developer:app-delete", args=[ctx.application.pk])
    assert ctx.signed_in(ctx.developer).post(url, {"confirm": ctx.application.name}).status_code == 302


def console_revoke_all(ctx):
    ctx.signed_in(ctx.developer).post(reverse("developer:app-revoke-tokens", args=[ctx.application.pk]))


def rp_initiated_logout(ctx):
    ctx.application.post_logout_redirect_uris = "https://printer.example.com/signed-out"
    ctx.application.save()
    params = {
        "id_token_hint": ctx.tokens["id_token"],
        "client_id": ctx.application.client_id,
        "post_logout_redirect_uri": "https://printer.example.com/signed-out",
        "allow": "true",
    }
    assert ctx.signed_in().post("/o/logout/", params).status_code == 302


def key_page_revoke(ctx):
    api_key = APIKey.objects.get(key_id=ctx.raw.split("_")[1])
    ctx.signed_in().post(reverse("apikeys:key-revoke", args=[api_key.pk]))


def user_deactivated(ctx):
    ctx.user.is_active = False
    ctx.user.save()


TOKEN_PATHS = [
    rfc7009,
    connected_app,
    connected_app_scope,
    connected_apps_revoke_all,
    api_revoke_self,
    api_disconnect_app,
    api_revoke_all,
    refresh_replay,
    refresh_rotation,
    account_deletion,
    app_deletion,
    console_revoke_all,
    rp_initiated_logout,
]
KEY_PATHS = [key_page_revoke, api_revoke_self, account_deletion, user_deactivated]


class Context:
    def __init__(self, client, user, developer, application, tokens, raw, other_key):
        self.client, self.user, self.developer, self.application = client, user, developer, application
        self.tokens, self.raw, self.other_key = tokens, raw, other_key

    def signed_in(self, user=None):
        self.client.force_login(user or self.user, backend="django.contrib.auth.backends.ModelBackend")
        return self.client


@pytest.mark.parametrize(
    ("credential", "revoke"),
    [("token", path) for path in TOKEN_PATHS] + [("key", path) for path in KEY_PATHS],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_revoked_credential_is_refused_on_its_very_next_request(
    credential, revoke, client, user, developer, application, issue, api_key, django_assert_num_queries
):
    tokens = issue("openid read write")
    raw = tokens["access_token"] if credential == "token" else api_key(["read", "write"])
    ctx = Context(client, user, developer, application, tokens, raw, other_key=api_key(["read", "write"]))
    assert me(client, raw) == 200
    with django_assert_num_queries(0):  # the cache is warm
        assert validate(raw) if credential == "token" else find_api_key(raw)
    revoke(ctx)
    client.logout()
    assert me(client, ctx.raw) == 401


# --- Changes that are not revocations reach the cache too ---------------------------------


def test_a_renamed_app_shows_on_the_next_request(token, client, application):
    assert (
        client.get("/api/token/info/", headers=bearer(token)).json()["application"]["name"] == "Photo Printer"
    )
    application.name = "Photo Shop"
    application.save()
    assert client.get("/api/token/info/", headers=bearer(token)).json()["application"]["name"] == "Photo Shop"


@pytest.mark.parametrize("credential", ["token", "key"])
def test_a_profile_change_shows_on_the_next_request(credential, request, client, user):
    raw = request.getfixturevalue(credential)
    assert client.get(ME, headers=bearer(raw)).json()["profile"]["bio"] == ""
    profile = Profile.objects.for_user(user)
    profile.bio = "Countess of Lovelace"
    profile.save()
    assert client.get(ME, headers=bearer(raw)).json()["profile"]["bio"] == "Countess of Lovelace"


def test_a_profile_change_through_the_api_starts_from_the_stored_row(issue, client, user):
    token = issue("read write_profile")["access_token"]
    assert me(client, token) == 200
    cache.clear()
    assert client.get(ME, headers=bearer(token)).json()["profile"]["bio"] == ""  # cached with the token
    Profile.objects.filter(user=user).update(bio="Set without a signal")  # the cached copy is stale
    response = client.patch(
        "/api/profile/", {"display_name": "Ada"}, content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 200
    stored = Profile.objects.get(user=user)
    assert (stored.display_name, stored.bio) == ("Ada", "Set without a signal")


def test_related_rows_must_be_listed_so_a_hit_can_find_them():
    from apps.accounts.models import User

    with pytest.raises(ImproperlyConfigured, match="needs 'user' listed before it"):
        rowcache.fetch(APIKey.objects.all(), field="key_id", value="x", related=("user__profile",))
    with pytest.raises(ImproperlyConfigured, match="must be tracked by"):
        rowcache.fetch(User.objects.all(), field="pk", value="1", related=("emailaddress",))


def test_a_changed_user_shows_on_the_next_request(key, client, user):
    assert client.get(ME, headers=bearer(key)).json()["email"] == "ada@example.com"
    user.email = "ada@lovelace.example"
    user.save()
    assert client.get(ME, headers=bearer(key)).json()["email"] == "ada@lovelace.example"


def test_a_request_that_read_the_row_before_a_revocation_cannot_cache_it_after(token, client):
    row = stored_token(token)
    stale = type(row).objects.select_related("user", "application").get(pk=row.pk)  # read, then...
    row.delete()  # ...revoked before that request fills the cache
    key = rowcache.row_key(type(row), row.token_checksum)
    assert not cache.add(key, stale, 60)
    assert me(client, token) == 401

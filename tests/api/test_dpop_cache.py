"""A DPoP-bound token costs the bearer cache nothing extra: its key thumbprint is loaded with
the token (one statement cold, none warm), and revocation still reaches it at once."""

import pytest
from django.core.cache import cache

from apps.oauth.tokencache import load_access_token
from apps.oauth.validators import code_hash
from tests.dpop_client import DPoPKey, dpop_auth
from tests.oauth.test_dpop import ME, exchange

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def token(client, user, application, key) -> str:
    return exchange(client, application, key, user=user).json()["access_token"]


def test_a_cold_bound_token_is_loaded_with_its_binding_in_one_statement(
    token, key, django_assert_num_queries
):
    cache.clear()
    with django_assert_num_queries(1):
        access_token = load_access_token(code_hash(token))
    assert access_token.dpop_jkt == key.jkt


def test_a_warm_bound_token_is_loaded_with_its_binding_without_sql(token, key, django_assert_num_queries):
    load_access_token(code_hash(token))
    with django_assert_num_queries(0):
        access_token = load_access_token(code_hash(token))
    assert access_token.dpop_jkt == key.jkt


def test_an_unbound_token_is_cached_as_unbound(client, user, application, django_assert_num_queries):
    raw = exchange(client, application, None, user=user).json()["access_token"]
    load_access_token(code_hash(raw))
    with django_assert_num_queries(0):
        assert load_access_token(code_hash(raw)).dpop_jkt is None


def test_deleting_a_warm_bound_token_refuses_it_at_once(client, token, key):
    assert client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token))).status_code == 200
    load_access_token(code_hash(token)).delete()
    assert client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token))).status_code == 401

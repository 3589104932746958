"""`cleartokens` (DOT's) and `cleartokenfamilies` delete in bounded batches, keeping what lives.

The expired rows are fixtures made with bulk_create: thousands of issued tokens would take
minutes, and what is under test is the sweep, not issuing.
"""

import hashlib
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from apps.oauth.models import PushedAuthorizationRequest, TokenFamily

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
Grant = get_grant_model()

BATCH = 250
DELETE = re.compile(r'^DELETE FROM "(?P<table>\w+)" WHERE .*"id" IN \((?P<ids>[^)]*)\)$')


@pytest.fixture(autouse=True)
def small_batches(settings):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": BATCH,
        "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
    }


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def batches_deleted_from(queries, model) -> list[int]:
    """How many rows each DELETE statement on `model`'s table named, in order."""
    sizes = []
    for query in queries:
        match = DELETE.match(query["sql"])
        if match and match["table"] == model._meta.db_table:
            sizes.append(len(match["ids"].split(",")))
    return sizes


def batches_selected_from(queries, model) -> int:
    """How many batches of primary keys were read from `model`'s table."""
    table = model._meta.db_table
    return sum(
        1
        for query in queries
        if query["sql"].startswith(f'SELECT "{table}"."id" AS "pk" FROM "{table}"')
        and query["sql"].endswith(f"LIMIT {BATCH}")
    )


def test_cleartokens_deletes_thousands_of_expired_rows_in_bounded_batches(user, application):
    now = timezone.now()
    long_ago, soon = now - timedelta(days=3), now + timedelta(hours=1)
    common = {"user": user, "application": application, "token": ""}
    AccessToken.objects.bulk_create(
        AccessToken(**common, token_checksum=checksum(f"at-{i}"), expires=long_ago if i >= 5 else soon)
        for i in range(1505)
    )
    RefreshToken.objects.bulk_create(
        RefreshToken(**common, token_checksum=checksum(f"rt-{i}"), revoked=long_ago if i >= 3 else now)
        for i in range(1003)
    )
    IDToken.objects.bulk_create(
        IDToken(user=user, application=application, jti=uuid.uuid4(), expires=long_ago if i >= 2 else soon)
        for i in range(502)
    )
    Grant.objects.bulk_create(
        Grant(
            user=user,
            application=application,
            code=f"code-{i}",
            redirect_uri="https://printer.example.com/callback",
            expires=long_ago if i >= 4 else soon,
        )
        for i in range(604)
    )

    with CaptureQueriesContext(connection) as captured:
        call_command("cleartokens")

    assert (AccessToken.objects.count(), RefreshToken.objects.count()) == (5, 3)
    assert (IDToken.objects.count(), Grant.objects.count()) == (2, 4)
    for model, expired in [(AccessToken, 1500), (RefreshToken, 1000), (IDToken, 500), (Grant, 600)]:
        # One primary-key SELECT ... LIMIT per batch; Django deletes each batch's ids in
        # statements of at most 100, so no statement names more than a batch.
        assert batches_selected_from(captured.captured_queries, model) == -(-expired // BATCH)
        sizes = batches_deleted_from(captured.captured_queries, model)
        assert sum(sizes) == expired and max(sizes) <= BATCH


def test_cleartokenfamilies_deletes_ended_and_unspent_records_in_bounded_batches(user, application):
    now = timezone.now()

    def family(i: int, **fields) -> TokenFamily:
        return TokenFamily(
            user=user, application=application, code_hash=checksum(f"code-{i}"), auth_time=now, **fields
        )

    ended = [family(i, family=uuid.uuid4(), expires=now - timedelta(days=2)) for i in range(1200)]
    unspent = [family(i) for i in range(1200, 2000)]
    live = [family(i, family=uuid.uuid4(), expires=now + timedelta(days=2)) for i in range(2000, 2005)]
    fresh = [family(i) for i in range(2005, 2008)]
    TokenFamily.objects.bulk_create([*ended, *unspent, *live, *fresh])
    TokenFamily.objects.filter(code_hash__in=[f.code_hash for f in unspent]).update(
        created=now - timedelta(days=2)
    )

    with CaptureQueriesContext(connection) as captured:
        call_command("cleartokenfamilies", stdout=io.StringIO())

    assert set(TokenFamily.objects.values_list("code_hash", flat=True)) == {f.code_hash for f in live + fresh}
    sizes = batches_deleted_from(captured.captured_queries, TokenFamily)
    assert sizes == [BATCH] * 4 + [200] + [BATCH] * 3 + [50]


def test_cleartokenfamilies_deletes_pushed_requests_an_hour_past_expiry(application):
    now = timezone.now()
    for name, expires in [("old", now - timedelta(hours=2)), ("recent", now - timedelta(minutes=5))]:
        PushedAuthorizationRequest.objects.create(
            application=application, uri_hash=checksum(name), parameters={}, expires=expires
        )
    call_command("cleartokenfamilies", stdout=io.StringIO())
    assert list(PushedAuthorizationRequest.objects.values_list("uri_hash", flat=True)) == [checksum("recent")]


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (AccessToken, "expires"),
        (IDToken, "expires"),
        (Grant, "expires"),
        (RefreshToken, "revoked"),
        (TokenFamily, "expires"),
        (TokenFamily, "created"),
        (PushedAuthorizationRequest, "expires"),
    ],
)
def test_what_the_sweeps_filter_on_is_indexed(db, model, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert any(c["index"] and c["columns"][:1] == [column] for c in constraints.values())

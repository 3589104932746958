"""`cleartokens` (DOT's) and `cleartokenfamilies` find what they delete through an index."""

import pytest
from django.db import connection
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from apps.oauth.models import TokenFamily

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
Grant = get_grant_model()


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (AccessToken, "expires"),
        (IDToken, "expires"),
        (Grant, "expires"),
        (RefreshToken, "revoked"),
        (TokenFamily, "expires"),
        (TokenFamily, "created"),
    ],
)
def test_what_the_sweeps_filter_on_is_indexed(db, model, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert any(c["index"] and c["columns"][:1] == [column] for c in constraints.values())

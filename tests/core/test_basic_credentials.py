"""The HTTP Basic header is decoded once per request, however many guards ask for it."""

import pytest

from apps.core import http
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post, make_client


@pytest.mark.django_db
def test_a_token_request_decodes_the_basic_header_once(client, developer, monkeypatch):
    service = make_client(developer, name="Cron", grant_types=["client-credentials"])
    calls = []
    decode = http._decode_basic
    monkeypatch.setattr(http, "_decode_basic", lambda request: calls.append(request) or decode(request))
    response = form_post(
        client,
        "/o/token/",
        {"grant_type": "client_credentials"},
        HTTP_ORIGIN="https://spa.example.com",
        **basic_auth(service.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    assert len(calls) == 1

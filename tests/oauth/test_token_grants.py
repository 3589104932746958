"""The token endpoint's grants: client credentials, refresh with rotation, reuse and family lifetime."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps.audit.models import AuditEvent
from apps.oauth.models import Application, TokenFamily
from tests.oauth_flow import (
    CLIENT_SECRET,
    basic_auth,
    introspect,
    make_client,
    obtain_tokens,
    refresh,
    token_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_app(developer):
    return make_client(
        developer,
        name="Nightly Backup",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["read", "write"],
    )


def test_client_credentials_issue_an_access_token_and_no_refresh_token(client, service_app):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "read"},
        **basic_auth(service_app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read"
    assert "refresh_token" not in body and "id_token" not in body
    assert response["Cache-Control"] == "no-store"


def test_client_credentials_cannot_ask_for_a_persons_scopes(client, developer):
    app = make_client(
        developer,
        name="Bot",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["openid", "read"],
    )
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "openid read"},
        **basic_auth(app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_client_credentials_default_scopes_leave_out_openid(client, developer):
    app = make_client(
        developer,
        name="Bot",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["openid", "read"],
    )
    response = token_request(
        client, {"grant_type": "client_credentials"}, **basic_auth(app.client_id, CLIENT_SECRET)
    )
    assert response.status_code == 200
    assert "openid" not in response.json()["scope"].split()


def test_client_credentials_refused_to_a_client_not_allowed_the_grant(client, application):
    response = token_request(
        client, {"grant_type": "client_credentials"}, **basic_auth(application.client_id, CLIENT_SECRET)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_refresh_rotates_the_refresh_token(client, application, tokens):
    response = refresh(client, application, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    old = RefreshToken.objects.get(token_checksum=_checksum(tokens["refresh_token"]))
    assert old.revoked is not None


def test_reusing_a_rotated_refresh_token_is_refused_and_revokes_the_family(
    client, application, tokens, introspecting_app
):
    rotated = refresh(client, application, tokens["refresh_token"]).json()

    replay = refresh(client, application, tokens["refresh_token"])

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(client, application, rotated["refresh_token"]).json()["error"] == "invalid_grant"
    assert introspect(client, rotated["access_token"], client_id=introspecting_app.client_id).json() == {
        "active": False
    }
    assert not AccessToken.objects.filter(application=application).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REUSE)
    assert event.data["replayed"] == "refresh_token" and event.user.email == "ada@example.com"


def test_a_refresh_token_family_ends_at_its_absolute_lifetime(client, application, tokens):
    TokenFamily.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = refresh(client, application, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_rotation_does_not_extend_the_family_lifetime(client, application, tokens, settings):
    family = TokenFamily.objects.get()
    deadline = family.expires
    assert deadline == pytest.approx(
        family.created + timedelta(seconds=settings.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS),
        abs=timedelta(seconds=5),
    )
    rotated = refresh(client, application, tokens["refresh_token"]).json()
    refresh(client, application, rotated["refresh_token"])
    family.refresh_from_db()
    assert family.expires == deadline
    assert set(RefreshToken.objects.values_list("token_family", flat=True)) == {family.family}


def test_access_token_lifetime_is_the_configured_one(client, application, tokens, settings):
    assert tokens["expires_in"] == settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"] == 3600


def test_refresh_token_of_another_client_is_refused(client, application, tokens, developer):
    other = make_client(developer, name="Other", grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    response = refresh(client, other, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_every_issued_token_type_is_an_audit_event_without_its_value(
    client, application, tokens, service_app
):
    token_request(
        client, {"grant_type": "client_credentials"}, **basic_auth(service_app.client_id, CLIENT_SECRET)
    )
    refreshed = refresh(client, application, tokens["refresh_token"]).json()
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_ISSUED).order_by("pk")
    assert [e.data["grant_type"] for e in events] == [
        "authorization_code",
        "client_credentials",
        "refresh_token",
    ]
    dump = str(list(AuditEvent.objects.values()))
    for value in [
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
    ]:
        assert value not in dump


def test_token_endpoint_url_is_served_by_gatehouse():
    from django.urls import resolve

    from apps.oauth.endpoints.token import TokenView

    assert resolve(reverse("oauth2_provider:token")).func.view_class is TokenView


def _checksum(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()


def test_cleartokenfamilies_deletes_only_records_nothing_can_use(client, application, tokens):
    import io

    from django.core.management import call_command

    live = TokenFamily.objects.get()
    TokenFamily.objects.create(  # a family past its absolute end
        application=application,
        user=live.user,
        code_hash="a" * 64,
        family=uuid.uuid4(),
        auth_time=timezone.now(),
        expires=timezone.now() - timedelta(days=2),
    )
    unspent = TokenFamily.objects.create(
        application=application, user=live.user, code_hash="b" * 64, auth_time=timezone.now()
    )
    TokenFamily.objects.filter(pk=unspent.pk).update(created=timezone.now() - timedelta(days=2))

    call_command("cleartokenfamilies", stdout=io.StringIO())

    assert list(TokenFamily.objects.values_list("pk", flat=True)) == [live.pk]


def test_an_app_allowed_no_scopes_obtains_none(client, developer):
    app = make_client(
        developer,
        name="Bare",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=[],
    )
    for scope in ("admin introspection", "read"):
        response = token_request(
            client,
            {"grant_type": "client_credentials", "scope": scope},
            **basic_auth(app.client_id, CLIENT_SECRET),
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_refresh_stops_when_the_grant_that_issued_it_is_switched_off(client, application, tokens):
    application.grant_types = [Application.GRANT_CLIENT_CREDENTIALS]
    application.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    application.save()
    response = refresh(client, application, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_refresh_says_in_its_audit_event_that_it_revoked_what_it_replaces(
    client, application, tokens, user
):
    refresh(client, application, tokens["refresh_token"])
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_ISSUED).latest("pk")
    assert event.user == user and event.data["grant_type"] == "refresh_token"
    assert event.data["revoked"] == "the refresh token and access token it replaces"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REVOKED).exists()


def test_app_authorized_still_reaches_its_listeners(client, application, user):
    from oauth2_provider.signals import app_authorized

    received = []

    def listener(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(listener)
    try:
        tokens = obtain_tokens(client, user=user, application=application, scope="openid read")
    finally:
        app_authorized.disconnect(listener)
    assert [token.application_id for token in received] == [application.pk]
    assert received[0].scope == tokens["scope"]


def machine_token(client, app, scope="read", address="203.0.113.7"):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": scope},
        REMOTE_ADDR=address,
        **basic_auth(app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    return response


def machine_events(app):
    return list(
        AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_ISSUED, data__client_id=app.client_id).order_by(
            "pk"
        )
    )


def test_a_machine_taking_tokens_in_a_loop_is_one_audit_event_per_hour(client, service_app, developer):
    for _ in range(3):
        machine_token(client, service_app)
    [event] = machine_events(service_app)
    assert event.user == developer and event.ip_address == "203.0.113.7"
    assert "counted, not listed" in event.data["note"]
    assert AccessToken.objects.filter(application=service_app).count() == 3


def test_a_machine_token_from_a_new_address_or_scope_is_always_an_audit_event(client, service_app):
    machine_token(client, service_app)
    machine_token(client, service_app, address="198.51.100.2")
    machine_token(client, service_app, scope="read write")
    machine_token(client, service_app)
    events = machine_events(service_app)
    assert [(e.ip_address, e.data["scope"]) for e in events] == [
        ("203.0.113.7", "read"),
        ("198.51.100.2", "read"),
        ("203.0.113.7", "read write"),
    ]


def test_a_machine_token_is_an_audit_event_again_after_the_hour(client, service_app, settings, time_machine):
    from django.core.cache import cache

    time_machine.move_to(timezone.now(), tick=False)
    machine_token(client, service_app)
    time_machine.shift(3601)
    cache.clear()  # what an hour does to the key (Redis's own clock does not travel)
    machine_token(client, service_app)
    assert len(machine_events(service_app)) == 2

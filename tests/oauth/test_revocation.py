"""apps.oauth.revocation.revoke_tokens: the one revocation path, through DOT, with its audit trail."""

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from apps.audit.models import AuditEvent
from apps.oauth.revocation import revoke_tokens
from tests.oauth_flow import introspect, obtain_tokens

pytestmark = pytest.mark.django_db


def active(token: str, introspecting_app) -> bool:
    return introspect(Client(), token, client_id=introspecting_app.client_id).json()["active"]


def test_revoking_an_apps_tokens_tells_each_person_in_their_own_log(
    application, user, other_user, introspecting_app
):
    mine = obtain_tokens(Client(), user=user, application=application, scope="openid read")
    theirs = obtain_tokens(Client(), user=other_user, application=application, scope="openid read")

    assert revoke_tokens(applications=[application]) == 4

    assert not active(mine["access_token"], introspecting_app)
    assert not active(theirs["access_token"], introspecting_app)
    assert not RefreshToken.objects.filter(application=application, revoked__isnull=True).exists()
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REVOKED)
    assert {event.user for event in events} == {user, other_user}
    assert all(
        event.data
        == {"application": application.name, "client_id": application.client_id, "tokens": 2, "via": "app"}
        for event in events
    )


def test_a_persons_own_revocation_leaves_the_log_to_the_caller(application, user):
    obtain_tokens(Client(), user=user, application=application, scope="openid read")
    assert revoke_tokens(user=user, applications=[application]) == 2
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REVOKED).exists()


def test_carrying_revokes_only_what_holds_the_scope(application, user, introspecting_app):
    with_email = obtain_tokens(Client(), user=user, application=application, scope="openid email")
    without = obtain_tokens(Client(), user=user, application=application, scope="openid read")

    assert revoke_tokens(user=user, applications=[application], carrying="email") == 2

    assert not active(with_email["access_token"], introspecting_app)
    assert active(without["access_token"], introspecting_app)
    assert AccessToken.objects.filter(user=user).count() == 1


def test_it_refuses_to_revoke_everything():
    with pytest.raises(ValueError):
        revoke_tokens()

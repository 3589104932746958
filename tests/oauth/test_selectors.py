"""apps.oauth.selectors: the API, the connected-apps page and the developer console count the
same live tokens, and "live" is what the token endpoint still accepts."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, refresh_token_expire_timedelta

from apps.apikeys.services import create_api_key
from apps.developer.services import revoke_impact, with_usage
from apps.oauth.models import Application, Consent, TokenFamily
from tests.oauth_flow import obtain_tokens, refresh, revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(user, application) -> dict:
    """A token pair for `user`, granted "this time only": the app stays listed only while it lives."""
    tokens = obtain_tokens(Client(), user=user, application=application, scope="openid read")
    Consent.objects.filter(user=user, application=application).update(remember=Consent.Remember.ONCE)
    return tokens


def everywhere(user, application) -> dict:
    """What each surface says `user` and `application` hold, read through its real entry point."""
    key = create_api_key(user=user, name="probe", scopes=["read"])[1]
    grants = Client().get("/api/tokens/", headers={"Authorization": f"Bearer {key}"}).json()
    api = [(g["access_tokens"], g["refresh_tokens"]) for g in grants] or [(0, 0)]
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = browser.get(reverse("oauth:connected-apps"))
    console = with_usage(Application.objects.filter(pk=application.pk)).get()
    impact = revoke_impact(application=application)
    return {
        "api": api,
        "page lists the app": application.name in page.content.decode(),
        "console users": console.authorized_users,
        "console tokens": console.active_tokens,
        "revoke impact": (impact.users, impact.access_tokens, impact.refresh_tokens),
    }


def test_a_fresh_pair_is_live_everywhere(user, application, issued):
    assert everywhere(user, application) == {
        "api": [(1, 1)],
        "page lists the app": True,
        "console users": 1,
        "console tokens": 1,
        "revoke impact": (1, 1, 1),
    }


def test_an_expired_access_token_leaves_a_refresh_token_that_still_works(user, application, issued):
    AccessToken.objects.update(expires=timezone.now() - timedelta(minutes=1))

    assert everywhere(user, application) == {
        "api": [(0, 1)],
        "page lists the app": True,
        "console users": 1,
        "console tokens": 0,
        "revoke impact": (1, 0, 1),
    }
    assert refresh(Client(), application, issued["refresh_token"]).status_code == 200


def test_a_refresh_token_idle_past_its_lifetime_is_dead_everywhere(user, application, issued):
    idle = refresh_token_expire_timedelta()
    AccessToken.objects.update(expires=timezone.now() - idle - timedelta(minutes=1))

    assert everywhere(user, application) == {
        "api": [(0, 0)],
        "page lists the app": False,
        "console users": 0,
        "console tokens": 0,
        "revoke impact": (0, 0, 0),
    }
    assert refresh(Client(), application, issued["refresh_token"]).status_code == 400


def test_a_revoked_pair_is_dead_everywhere(user, application, issued):
    assert revoke(Client(), application, issued["refresh_token"]).status_code == 200

    assert everywhere(user, application) == {
        "api": [(0, 0)],
        "page lists the app": False,
        "console users": 0,
        "console tokens": 0,
        "revoke impact": (0, 0, 0),
    }


def test_a_rotated_refresh_token_counts_once_everywhere(user, application, issued):
    assert refresh(Client(), application, issued["refresh_token"]).status_code == 200

    assert everywhere(user, application) == {
        "api": [(1, 1)],
        "page lists the app": True,
        "console users": 1,
        "console tokens": 1,
        "revoke impact": (1, 1, 1),
    }


def test_a_family_past_its_absolute_end_keeps_only_its_access_token(user, application, issued):
    TokenFamily.objects.filter(user=user).update(expires=timezone.now() - timedelta(seconds=1))

    assert everywhere(user, application) == {
        "api": [(1, 0)],
        "page lists the app": True,
        "console users": 1,
        "console tokens": 1,
        "revoke impact": (1, 1, 0),
    }
    assert refresh(Client(), application, issued["refresh_token"]).status_code == 400


def test_a_family_whose_record_was_swept_has_ended_everywhere(user, application, issued):
    """cleartokenfamilies deletes a record one access-token lifetime after the family ends, while
    DOT would take a refresh token for a day after its access token expired: without the record
    the family has ended, not become endless."""
    TokenFamily.objects.filter(user=user).delete()
    AccessToken.objects.update(expires=timezone.now() - timedelta(minutes=1))

    assert everywhere(user, application) == {
        "api": [(0, 0)],
        "page lists the app": False,
        "console users": 0,
        "console tokens": 0,
        "revoke impact": (0, 0, 0),
    }
    assert refresh(Client(), application, issued["refresh_token"]).status_code == 400

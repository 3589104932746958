"""Usage numbers, the danger zone, and constant SQL queries however many apps there are."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.developer.models import TokenCount
from apps.developer.services import token_chart, with_usage
from apps.oauth.models import Application, Consent
from apps.oauth.secrets import create_client_secret
from tests.developer.conftest import make_app
from tests.oauth_flow import CLIENT_SECRET, approve, exchange_code, obtain_tokens, pkce_pair, revoke

AccessToken, RefreshToken, Grant = get_access_token_model(), get_refresh_token_model(), get_grant_model()


def refresh(application, refresh_token):
    return Client().post(
        reverse("oauth2_provider:token"),
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": application.client_id,
            "client_secret": CLIENT_SECRET,
        },
    )


@pytest.fixture
def two_users_signed_in(application, user, other_user):
    """Ada and Grace each approve the app once; Ada refreshes once. Four token requests in all."""
    ada = obtain_tokens(Client(), user=user, application=application, scope="openid profile")
    grace = obtain_tokens(Client(), user=other_user, application=application, scope="openid")
    ada_refreshed = refresh(application, ada["refresh_token"]).json()
    return {"ada": ada_refreshed, "grace": grace}


def usage(application) -> Application:
    return with_usage(Application.objects.filter(pk=application.pk)).get()


def test_usage_counts_users_tokens_and_the_last_token(application, two_users_signed_in):
    app = usage(application)
    assert app.authorized_users == 2
    # Rotation revoked Ada's first access token; each of them now holds one live token.
    assert app.active_tokens == 2
    assert timezone.now() - app.last_issued < timedelta(minutes=1)
    chart = token_chart(application=application)
    assert chart.total == 3 and chart.bars[-1].count == 3 and chart.bars[-1].day == timezone.localdate()


def test_tokens_issued_stay_counted_after_they_are_revoked_and_cleared(application, two_users_signed_in):
    AccessToken.objects.filter(application=application).delete()
    RefreshToken.objects.filter(application=application).delete()
    assert token_chart(application=application).total == 3


def test_a_burst_of_machine_tokens_is_counted_exactly_and_written_once(developer):
    from tests.oauth_flow import basic_auth, make_client, token_request

    machine = make_client(
        developer, name="Nightly Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS]
    )
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(5):
            response = token_request(
                client, {"grant_type": "client_credentials"}, **basic_auth(machine.client_id, CLIENT_SECRET)
            )
            assert response.status_code == 200
    writes = [q["sql"] for q in captured.captured_queries if "developer_tokencount" in q["sql"]]
    assert len(writes) <= 2  # the first token's UPDATE (and INSERT); the rest wait in the cache
    chart = token_chart(application=machine)
    assert chart.total == 5 and chart.bars[-1].count == 5
    assert TokenCount.objects.get(application=machine).count == 5
    assert token_chart(application=machine).total == 5  # a second read adds nothing


def test_the_chart_covers_30_days_and_nothing_older(application):
    today = timezone.localdate()
    now = timezone.now()
    TokenCount.objects.create(
        application=application, day=today - timedelta(days=3), count=5, last_issued=now
    )
    TokenCount.objects.create(
        application=application, day=today - timedelta(days=29), count=2, last_issued=now
    )
    TokenCount.objects.create(
        application=application, day=today - timedelta(days=30), count=7, last_issued=now
    )
    chart = token_chart(application=application)
    assert len(chart.bars) == 30 and chart.bars[0].day == today - timedelta(days=29)
    assert chart.total == 7 and chart.peak == 5
    assert chart.bars[-4].count == 5 and chart.bars[-4].height == chart.height - 4
    assert chart.bars[-1].count == 0 and chart.bars[-1].height == 0


def test_a_consent_without_live_tokens_still_counts_as_an_authorized_user(
    application, two_users_signed_in, user
):
    Consent.objects.update_or_create(user=user, application=application, defaults={"scope": "openid profile"})
    for token in RefreshToken.objects.filter(application=application, user=user):
        token.revoke()
    assert usage(application).authorized_users == 2
    Consent.objects.filter(user=user).delete()
    assert usage(application).authorized_users == 1


def test_the_app_page_shows_the_usage(dev_client, application, two_users_signed_in):
    response = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(response, "<div><dt>Authorized users</dt><dd>2</dd></div>", html=True)
    assertContains(response, "<div><dt>Active access tokens</dt><dd>2</dd></div>", html=True)
    assertContains(response, "<div><dt>Tokens issued in 30 days</dt><dd>3</dd></div>", html=True)
    assertContains(response, "Tokens issued per day: 3 in 30 days")
    assertContains(response, "<strong>2 people</strong>", html=True)


def test_the_delete_confirmation_says_how_many_tokens_stop_working(
    dev_client, application, two_users_signed_in
):
    response = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(response, "and 2 active access tokens stop working, with every refresh token")


def test_revoking_all_tokens_revokes_them_through_dot(
    dev_client, application, two_users_signed_in, developer
):
    tokens = two_users_signed_in
    response = dev_client.post(reverse("developer:app-revoke-tokens", args=[application.pk]), follow=True)
    assertContains(response, "Revoked 4 tokens.")
    assert not AccessToken.objects.filter(application=application).exists()
    assert not RefreshToken.objects.filter(application=application, revoked__isnull=True).exists()
    userinfo = Client().get(
        reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {tokens['grace']['access_token']}"
    )
    assert userinfo.status_code == 401
    assert refresh(application, tokens["ada"]["refresh_token"]).json()["error"] == "invalid_grant"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_TOKENS_REVOKED)
    assert event.user == developer and event.data["revoked"] == 4


def test_revoking_all_tokens_also_voids_unredeemed_codes(application, user):
    from tests.oauth_flow import approve, pkce_pair

    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    approve(browser, application, scope="openid", challenge=pkce_pair()[1])
    assert Grant.objects.filter(application=application).exists()
    from apps.developer.services import revoke_all_app_tokens

    revoke_all_app_tokens(application=application)
    assert not Grant.objects.filter(application=application).exists()


def test_deleting_needs_the_app_name_typed(dev_client, application):
    response = dev_client.post(
        reverse("developer:app-delete", args=[application.pk]), {"confirm": "photo printer"}
    )
    assertContains(response, "Type Photo Printer exactly to confirm.")
    assert Application.objects.filter(pk=application.pk).exists()


def test_deleting_revokes_everything_and_is_audited(dev_client, application, two_users_signed_in, developer):
    assert usage(application).authorized_users == 2
    client_id = application.client_id
    response = dev_client.post(
        reverse("developer:app-delete", args=[application.pk]), {"confirm": "Photo Printer"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("developer:app-list")
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not AccessToken.objects.filter(user__isnull=False).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_DELETED)
    assert event.user == developer and event.data["client_id"] == client_id and event.data["revoked"] == 4


# --- constant SQL queries for 1 and 50 apps ---------------------------------------------------


def populate(owner, count: int) -> list[Application]:
    apps = [make_app(owner, name=f"App {i}") for i in range(count)]
    now = timezone.now()
    for app in apps:
        create_client_secret(application=app)
        TokenCount.objects.create(application=app, day=timezone.localdate(), count=3, last_issued=now)
    return apps


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_for",
    [
        lambda apps: reverse("developer:app-list"),
        lambda apps: reverse("developer:playground") + f"?app={apps[0].pk}",
        lambda apps: reverse("developer:app-detail", args=[apps[0].pk]),
        lambda apps: reverse("developer:app-edit", args=[apps[0].pk]),
    ],
    ids=["list", "playground", "detail", "edit"],
)
def test_console_pages_run_the_same_queries_for_1_and_50_apps(
    dev_client, developer, user, application, django_assert_max_num_queries, url_for
):
    obtain_tokens(Client(), user=user, application=application, scope="openid")
    apps = [application]
    one = count_queries(dev_client, url_for(apps))
    apps += populate(developer, 49)
    # Fifty apps, each with secrets, tokens and consents of its own.
    for app in apps[1:]:
        Consent.objects.create(user=user, application=app, scope="openid")
        create_client_secret(application=apps[0])
    with django_assert_max_num_queries(one):
        dev_client.get(url_for(apps))


# --- the four tests of each POST action ------------------------------------------------------


def test_revoke_tokens_works_for_the_owner(dev_client, application, two_users_signed_in):
    dev_client.post(reverse("developer:app-revoke-tokens", args=[application.pk]))
    assert not AccessToken.objects.filter(application=application).exists()


def test_revoke_tokens_is_404_for_another_user(other_client, application, two_users_signed_in):
    assert other_client.post(reverse("developer:app-revoke-tokens", args=[application.pk])).status_code == 404
    assert AccessToken.objects.filter(application=application).count() == 2


def test_revoke_tokens_sends_anonymous_users_to_sign_in(client, application):
    response = client.post(reverse("developer:app-revoke-tokens", args=[application.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_revoke_tokens_refuses_get(dev_client, application):
    assert dev_client.get(reverse("developer:app-revoke-tokens", args=[application.pk])).status_code == 405


def test_delete_works_for_the_owner(dev_client, application):
    dev_client.post(reverse("developer:app-delete", args=[application.pk]), {"confirm": application.name})
    assert not Application.objects.filter(pk=application.pk).exists()


def test_delete_is_404_for_another_user(other_client, application):
    url = reverse("developer:app-delete", args=[application.pk])
    assert other_client.post(url, {"confirm": application.name}).status_code == 404
    assert Application.objects.filter(pk=application.pk).exists()


def test_delete_sends_anonymous_users_to_sign_in(client, application):
    response = client.post(
        reverse("developer:app-delete", args=[application.pk]), {"confirm": application.name}
    )
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert Application.objects.filter(pk=application.pk).exists()


def test_delete_refuses_get(dev_client, application):
    assert dev_client.get(reverse("developer:app-delete", args=[application.pk])).status_code == 405


def sign_in_remembering(application, user, remember: str) -> dict:
    """`user` approves the app choosing `remember` on the consent screen; return the token response."""
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(browser, application, scope="openid", challenge=challenge, remember=remember)
    response = exchange_code(browser, application, code=query["code"], verifier=verifier)
    assert Consent.objects.get(user=user, application=application).remember == remember
    return response.json()


def test_a_this_time_only_consent_counts_only_while_its_tokens_live(application, user):
    tokens = sign_in_remembering(application, user, Consent.Remember.ONCE)
    assert usage(application).authorized_users == 1
    assert revoke(Client(), application, tokens["refresh_token"]).status_code == 200
    assert Consent.objects.filter(user=user, application=application).exists()
    assert usage(application).authorized_users == 0


def test_a_lapsed_30_day_consent_counts_only_while_its_tokens_live(application, user):
    tokens = sign_in_remembering(application, user, Consent.Remember.DAYS_30)
    Consent.objects.update(expires=timezone.now() - timedelta(minutes=1))
    assert usage(application).authorized_users == 1
    revoke(Client(), application, tokens["refresh_token"])
    assert usage(application).authorized_users == 0


def test_a_remembered_consent_and_live_tokens_count_the_user_once(application, user):
    sign_in_remembering(application, user, Consent.Remember.FOREVER)
    assert usage(application).authorized_users == 1


def test_the_30_day_label_names_the_chart_not_the_live_numbers(dev_client, application):
    response = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    html = response.content.decode()
    usage_header = html[html.index('id="usage-title"') : html.index('class="dev-stats"')]
    assert "30 days" not in usage_header
    assertContains(
        response, '<h3 class="dev-chart-title">Tokens issued per day, last 30 days</h3>', html=True
    )


def test_revoke_all_tokens_asks_first_on_a_page_of_its_own(dev_client, application, two_users_signed_in):
    detail = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    confirm_url = reverse("developer:app-confirm-revoke-tokens", args=[application.pk])
    assertContains(detail, f'href="{confirm_url}" hx-get="{confirm_url}" hx-target="#dialog-slot"')
    assertNotContains(detail, f'action="{reverse("developer:app-revoke-tokens", args=[application.pk])}"')
    page = dev_client.get(confirm_url)
    assertContains(page, "<h1>Revoke all tokens of Photo Printer?</h1>", html=True)
    assertContains(page, "<strong>2 people</strong> will be signed out of Photo Printer")
    assertContains(page, "2 active access tokens and 2 refresh tokens stop working")
    assertNotContains(page, "<dialog")
    assert AccessToken.objects.filter(application=application, expires__gt=timezone.now()).count() == 2


def test_revoke_all_tokens_asks_first_in_a_dialog_with_htmx(dev_client, application, two_users_signed_in):
    response = dev_client.get(
        reverse("developer:app-confirm-revoke-tokens", args=[application.pk]), headers={"HX-Request": "true"}
    )
    assert b"<html" not in response.content
    assertContains(response, '<dialog id="revoke-tokens-dialog" data-auto-open')
    assertContains(response, "<strong>2 people</strong>")
    assertContains(response, f'action="{reverse("developer:app-revoke-tokens", args=[application.pk])}"')


def test_the_revoke_confirm_step_sends_anonymous_users_to_sign_in(client, application):
    response = client.get(reverse("developer:app-confirm-revoke-tokens", args=[application.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

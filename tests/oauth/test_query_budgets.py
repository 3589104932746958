"""SQL per request on the hot paths: a budget each, counted as the bench counts them (BEGIN and
COMMIT, or SAVEPOINT and RELEASE inside a test's transaction, included), and the same budget
however many apps a user has connected."""

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_id_token_model

from apps.oauth.models import Application, Consent
from tests.oauth_flow import (
    CLIENT_SECRET,
    approve,
    authorize_params,
    basic_auth,
    exchange_code,
    form_post,
    make_client,
    obtain_tokens,
    pkce_pair,
    refresh,
    token_request,
)

AccessToken, IDToken = get_access_token_model(), get_id_token_model()

# Client and secrets (one SELECT), BEGIN, the token's INSERT, COMMIT.
CLIENT_CREDENTIALS = 4
# The client, the token.
INTROSPECTION = 2
# Session, user, the list of apps (with their developers).
CONNECTED_APPS = 3
# Session, user, the client (with its developer), the stored consent, the user's profile.
CONSENT_SCREEN = 5
# DOT and oauthlib read the Grant row once per check (validators.py's code methods, left alone),
# and the request's own transaction, which holds the race locks to the end, is a BEGIN/COMMIT.
AUTHORIZATION_CODE = 25
# Rotation deletes the old access token, and with it (a cascade) its DPoP binding, if any,
# and looks for tokens exchanged from it (RFC 8693).
REFRESH = 29


@pytest.fixture
def machine(developer) -> Application:
    return make_client(developer, name="Nightly Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])


@pytest.fixture
def resource_server(developer) -> Application:
    return make_client(
        developer,
        name="Photo API",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
    )


def client_credentials(app):
    return token_request(
        Client(), {"grant_type": "client_credentials"}, **basic_auth(app.client_id, CLIENT_SECRET)
    )


def test_a_client_credentials_grant_fits_its_budget(machine, django_assert_max_num_queries):
    client_credentials(machine)  # the first token of the hour is also an audit event
    with django_assert_max_num_queries(CLIENT_CREDENTIALS):
        response = client_credentials(machine)
    assert response.status_code == 200 and response.json()["access_token"]


def test_introspection_costs_the_client_and_the_token(
    user, application, resource_server, django_assert_max_num_queries
):
    token = obtain_tokens(Client(), user=user, application=application, scope="openid read")["access_token"]
    introspect = reverse("oauth2_provider:introspect")
    resource_server_auth = basic_auth(resource_server.client_id, CLIENT_SECRET)
    form_post(Client(), introspect, {"token": token}, **resource_server_auth)  # notes the secret's use
    with django_assert_max_num_queries(INTROSPECTION):
        response = form_post(
            Client(), introspect, {"token": token}, **basic_auth(resource_server.client_id, CLIENT_SECRET)
        )
    assert response.json()["active"] is True and response.json()["sub"] == str(user.pk)


def test_code_and_refresh_grants_fit_their_budgets(client, user, application, django_assert_max_num_queries):
    # Steady state: the secret's last use and the app's token count were written a moment ago.
    obtain_tokens(Client(), user=user, application=application, scope="openid")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope="openid profile email read", challenge=challenge)
    with django_assert_max_num_queries(AUTHORIZATION_CODE):
        tokens = exchange_code(Client(), application, code=query["code"], verifier=verifier).json()
    with django_assert_max_num_queries(REFRESH):
        refreshed = refresh(Client(), application, tokens["refresh_token"])
    assert refreshed.status_code == 200
    # The access tokens still point at the ID tokens issued with them.
    for token in AccessToken.objects.filter(user=user, application=application):
        assert IDToken.objects.filter(pk=token.id_token_id).exists()


@pytest.fixture(params=[1, 50])
def connected(request, user, developer, application) -> Client:
    """`user` signed in, with 1 or 50 connected apps, each with tokens from a real code exchange
    (the first also holding a second grant and a refreshed pair)."""
    first = obtain_tokens(Client(), user=user, application=application, scope="openid profile email read")
    obtain_tokens(Client(), user=user, application=application, scope="openid profile")
    assert refresh(Client(), application, first["refresh_token"]).status_code == 200
    for number in range(1, request.param):
        app = make_client(
            developer, name=f"App {number:02}", grant_types=[Application.GRANT_AUTHORIZATION_CODE]
        )
        obtain_tokens(Client(), user=user, application=app, scope="openid read")
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    browser.get(reverse("oauth:connected-apps"))  # a session's first request records it
    browser.apps = request.param
    return browser


def test_the_connected_apps_page_runs_the_same_queries_for_1_and_50_apps(
    connected, django_assert_max_num_queries
):
    with django_assert_max_num_queries(CONNECTED_APPS):
        response = connected.get(reverse("oauth:connected-apps"))
    assert f"{connected.apps} app" in response.content.decode()


def test_lapsed_decisions_cost_one_query_more_however_many(connected, user, django_assert_max_num_queries):
    # "This time only" decisions are listed while their tokens live: asked of them all at once.
    Consent.objects.filter(user=user).update(remember=Consent.Remember.ONCE)
    with django_assert_max_num_queries(CONNECTED_APPS + 1):
        response = connected.get(reverse("oauth:connected-apps"))
    assert f"{connected.apps} app" in response.content.decode()


def test_the_consent_screen_runs_the_same_queries_for_1_and_50_apps(
    connected, application, django_assert_max_num_queries
):
    params = authorize_params(
        application, scope="openid profile email read", challenge=pkce_pair()[1], prompt="consent"
    )
    connected.get(reverse("oauth2_provider:authorize"), params)  # the first showing stores the request
    with django_assert_max_num_queries(CONSENT_SCREEN):
        response = connected.get(reverse("oauth2_provider:authorize"), params)
    assert response.status_code == 200 and application.name in response.content.decode()


def test_a_connected_app_page_runs_the_same_queries_for_1_and_50_apps(
    connected, application, django_assert_max_num_queries
):
    with django_assert_max_num_queries(CONNECTED_APPS):
        response = connected.get(reverse("oauth:connected-app", args=[application.client_id]))
    page = response.content.decode()
    assert response.status_code == 200 and application.name in page and "by Dev Eloper" in page


def test_the_connected_apps_api_runs_the_same_queries_for_1_and_50_apps(
    connected, user, application, django_assert_max_num_queries
):
    token = obtain_tokens(Client(), user=user, application=application, scope="read")["access_token"]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    api.get("/api/connected-apps/")  # the token's first use fills the cache
    # The token from the cache, the list of apps.
    with django_assert_max_num_queries(1):
        response = api.get("/api/connected-apps/")
    assert response.status_code == 200 and len(response.json()) == connected.apps

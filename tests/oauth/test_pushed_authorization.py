"""Pushed authorization requests (RFC 9126), driven as Authlib's OAuth2Session drives a server."""

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from pytest_django.asserts import assertContains

from apps.oauth.models import Application, PushedAuthorizationRequest
from apps.oauth.pushed import REQUEST_URI_PREFIX
from tests.conftest import PASSWORD
from tests.oauth_flow import (
    CLIENT_SECRET,
    REDIRECT_URI,
    authorize_params,
    basic_auth,
    form_post,
    make_client,
    pkce_pair,
)

pytestmark = pytest.mark.django_db

PAR = "/o/par/"
AUTHORIZE = "/o/authorize/"


class DjangoTransport(requests.adapters.BaseAdapter):
    """Hands a requests session's calls to the Django test client, so a client library talks to
    the server as it would over HTTP."""

    def __init__(self, client: Client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "host")}
        content_type = headers.pop("Content-Type", "application/x-www-form-urlencoded")
        body = request.body or b""
        answer = self.client.generic(
            request.method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            data=body.encode() if isinstance(body, str) else body,
            content_type=content_type,
            headers=headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response.raw = io.BytesIO(answer.content)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def oauth_session(client: Client, application, **kwargs) -> OAuth2Session:
    session = OAuth2Session(
        application.client_id,
        CLIENT_SECRET if application.client_type == Application.CLIENT_CONFIDENTIAL else None,
        redirect_uri=REDIRECT_URI,
        scope="openid profile",
        code_challenge_method="S256",
        token_endpoint_auth_method=kwargs.pop(
            "auth_method",
            "client_secret_basic" if application.client_type == Application.CLIENT_CONFIDENTIAL else "none",
        ),
        **kwargs,
    )
    session.mount("http://testserver", DjangoTransport(client))
    return session


def push(session: OAuth2Session, verifier: str, **extra) -> requests.Response:
    """What a library's PAR support does: the authorization URL's parameters, posted instead."""
    url, _state = session.create_authorization_url(
        "http://testserver" + AUTHORIZE, code_verifier=verifier, state="state-123", nonce="nonce-456", **extra
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    auth = session.client_auth(session.token_endpoint_auth_method)
    if session.token_endpoint_auth_method == "none":
        auth = None
    elif session.token_endpoint_auth_method == "client_secret_post":
        del params["client_id"]  # Authlib's client_secret_post adds it to the body itself
    return session.post("http://testserver" + PAR, data=params, auth=auth, withhold_token=True)


def pushed_uri(client, application, **extra) -> tuple[str, str]:
    verifier, _ = pkce_pair()
    response = push(oauth_session(client, application), verifier, **extra)
    assert response.status_code == 201, response.content
    return response.json()["request_uri"], verifier


def par_authorize(client, application, request_uri: str, **extra):
    return client.get(AUTHORIZE, {"client_id": application.client_id, "request_uri": request_uri, **extra})


def allow(client, response, scope="openid profile"):
    """Allow on the consent screen the way a browser submits its form."""
    form = response.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    return client.post(AUTHORIZE, {**data, "allow": "Authorize", "granted": scope.split()})


# --- The whole journey ------------------------------------------------------------------------


def test_a_pushed_request_runs_the_whole_flow_to_tokens(client, user, application):
    session = oauth_session(client, application)
    verifier, _ = pkce_pair()
    pushed = push(session, verifier)
    assert pushed.status_code == 201
    assert pushed.headers["Cache-Control"] == "no-store"
    body = pushed.json()
    assert body["expires_in"] == 60 and body["request_uri"].startswith(REQUEST_URI_PREFIX)

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen = par_authorize(client, application, body["request_uri"])
    assertContains(screen, application.name)
    decided = allow(client, screen)
    assert decided.status_code == 302 and decided["Location"].startswith(REDIRECT_URI)

    token = session.fetch_token(
        "http://testserver/o/token/", authorization_response=decided["Location"], code_verifier=verifier
    )
    assert token["access_token"] and token["id_token"] and token["refresh_token"]


def test_a_public_client_pushes_with_its_client_id_alone(client, user, developer):
    spa = make_client(developer, name="SPA", grant_types=[Application.GRANT_AUTHORIZATION_CODE], secret=None)
    session = oauth_session(client, spa)
    verifier, _ = pkce_pair()
    body = push(session, verifier).json()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    decided = allow(client, par_authorize(client, spa, body["request_uri"]))
    token = session.fetch_token(
        "http://testserver/o/token/",
        authorization_response=decided["Location"],
        code_verifier=verifier,
    )
    assert token["access_token"]


def test_client_secret_post_authenticates_the_push_too(client, application):
    verifier, _ = pkce_pair()
    response = push(oauth_session(client, application, auth_method="client_secret_post"), verifier)
    assert response.status_code == 201


def test_signing_in_first_continues_with_the_pushed_request(client, user, application):
    with time_machine.travel("2026-12-02 12:00:00Z", tick=False) as traveller:
        request_uri, _ = pushed_uri(client, application)
        entry = par_authorize(client, application, request_uri)
        assert entry.status_code == 302 and entry["Location"].startswith("/accounts/login/")
        # The way back is the short URL, not the pushed parameters.
        assert "redirect_uri" not in parse_qs(urlsplit(entry["Location"]).query)["next"][0]
        # Signing in takes longer than the request_uri lives: redeemed, it stays this browser's.
        traveller.shift(120)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assertContains(par_authorize(client, application, request_uri), application.name)


def test_other_parameters_of_the_authorize_url_are_ignored(auth_client, application):
    request_uri, _ = pushed_uri(auth_client, application)
    screen = par_authorize(
        auth_client, application, request_uri, redirect_uri="https://evil.example.com/", scope="openid write"
    )
    assert screen.status_code == 200
    assert screen.context["form"].initial["redirect_uri"] == REDIRECT_URI
    assert screen.context["form"].initial["scope"] == "openid profile"


# --- Single use, expiry, the wrong client ---------------------------------------------------


def test_a_request_uri_works_once(auth_client, application):
    request_uri, _ = pushed_uri(auth_client, application)
    assert allow(auth_client, par_authorize(auth_client, application, request_uri)).status_code == 302
    again = par_authorize(auth_client, application, request_uri)
    assert again.status_code == 400
    assertContains(again, "already used", status_code=400)
    assertContains(again, "invalid_request_uri", status_code=400)


def test_another_browser_cannot_redeem_a_request_uri_already_presented(auth_client, user, application):
    request_uri, _ = pushed_uri(auth_client, application)
    assert par_authorize(auth_client, application, request_uri).status_code == 200
    other = Client()
    other.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assertContains(par_authorize(other, application, request_uri), "already used", status_code=400)


def test_reloading_the_screen_in_the_same_browser_keeps_the_request(auth_client, application):
    request_uri, _ = pushed_uri(auth_client, application)
    assert par_authorize(auth_client, application, request_uri).status_code == 200
    assert par_authorize(auth_client, application, request_uri).status_code == 200


def test_two_redemptions_have_one_winner(application):
    from django.http import HttpRequest

    from apps.oauth import pushed

    request_uri = pushed.push_request(application=application, parameters={"scope": ["openid"]})
    first, second = HttpRequest(), HttpRequest()
    first.session, second.session = {}, {}
    results = [
        pushed.redeem(r, request_uri=request_uri, client_id=application.client_id) for r in (first, second)
    ]
    assert [r.problem for r in results] == ["", "used"]
    assert PushedAuthorizationRequest.objects.get().used_at is not None


def test_a_request_uri_expires_after_60_seconds(auth_client, application):
    with time_machine.travel("2026-12-02 12:00:00Z", tick=False) as traveller:
        request_uri, _ = pushed_uri(auth_client, application)
        traveller.shift(59)
        fresh, _ = pushed_uri(auth_client, application)
        assert par_authorize(auth_client, application, fresh).status_code == 200
        traveller.shift(2)
        late = par_authorize(auth_client, application, request_uri)
    assertContains(late, "expired", status_code=400)


def test_another_clients_request_uri_is_refused(auth_client, developer, application):
    other = make_client(developer, name="Other", grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    request_uri, _ = pushed_uri(auth_client, application)
    assertContains(par_authorize(auth_client, other, request_uri), "unknown here", status_code=400)
    # …and it is still good for its own client.
    assert par_authorize(auth_client, application, request_uri).status_code == 200


def test_an_unknown_request_uri_is_an_error_page(auth_client, application):
    response = par_authorize(auth_client, application, REQUEST_URI_PREFIX + "made-up")
    assertContains(response, "invalid_request_uri", status_code=400)


def test_the_request_uri_is_stored_only_as_a_hash(client, application):
    request_uri, _ = pushed_uri(client, application)
    row = PushedAuthorizationRequest.objects.get()
    assert request_uri not in json.dumps([row.uri_hash, row.parameters])
    assert "client_secret" not in row.parameters and "client_id" not in row.parameters


# --- Require PAR ------------------------------------------------------------------------------


def test_an_app_that_requires_par_refuses_a_plain_request(auth_client, application):
    application.require_pushed_authorization_requests = True
    application.save()
    _, challenge = pkce_pair()
    response = auth_client.get(AUTHORIZE, authorize_params(application, scope="openid", challenge=challenge))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["error_description"] == ["This client must use pushed authorization requests."]


def test_an_app_that_requires_par_accepts_a_pushed_request(auth_client, application):
    application.require_pushed_authorization_requests = True
    application.save()
    request_uri, _ = pushed_uri(auth_client, application)
    assert allow(auth_client, par_authorize(auth_client, application, request_uri)).status_code == 302


# --- Errors at push time: RFC 6749 5.2 JSON ---------------------------------------------------


def raw_push(client, application, *, secret=CLIENT_SECRET, **params):
    _, challenge = pkce_pair()
    data = {**authorize_params(application, scope="openid profile", challenge=challenge), **params}
    data = {k: v for k, v in data.items() if v is not None}
    return form_post(client, PAR, data, **basic_auth(application.client_id, secret))


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": REQUEST_URI_PREFIX + "x"}, "invalid_request"),
        ({"claims": "{}"}, "invalid_request"),
    ],
)
def test_a_bad_pushed_request_is_refused_as_json(client, application, params, error):
    response = raw_push(client, application, **params)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error and response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"
    assert not PushedAuthorizationRequest.objects.exists()


def test_a_wrong_secret_is_invalid_client(client, application):
    response = raw_push(client, application, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_a_confidential_client_must_authenticate(client, application):
    _, challenge = pkce_pair()
    response = form_post(client, PAR, authorize_params(application, scope="openid", challenge=challenge))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_an_unknown_client_is_invalid_client(client):
    response = form_post(client, PAR, {"client_id": "nobody", "response_type": "code"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_a_suspended_app_cannot_push(client, application):
    Application.objects.filter(pk=application.pk).update(suspended=True)
    assert raw_push(client, application).status_code == 401


def test_par_accepts_post_only(client):
    response = client.get(PAR)
    assert response.status_code == 405 and response.json()["error"] == "invalid_request"


def test_par_wants_a_form_body(client, application):
    response = client.post(
        PAR, json.dumps({"client_id": application.client_id}), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_repeated_parameters_are_refused_at_push(client, application):
    _, challenge = pkce_pair()
    data = [*authorize_params(application, scope="openid", challenge=challenge).items(), ("scope", "profile")]
    response = form_post(client, PAR, data, **basic_auth(application.client_id, CLIENT_SECRET))
    assert response.status_code == 400 and "scope" in response.json()["error_description"]


def test_par_is_rate_limited(client, application, settings):
    settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS = 2
    statuses = [raw_push(client, application).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_cors_for_a_registered_origin(client, application):
    application.allowed_origins = "https://printer.example.com"
    application.save()
    _, challenge = pkce_pair()
    response = form_post(
        client,
        PAR,
        authorize_params(application, scope="openid", challenge=challenge),
        HTTP_ORIGIN="https://printer.example.com",
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://printer.example.com"
    refused = form_post(client, PAR, {"client_id": "x"}, HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in refused


# --- Discovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/o/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/o"]
)
def test_discovery_advertises_the_par_endpoint(client, path):
    data = client.get(path).json()
    assert data["pushed_authorization_request_endpoint"] == "http://testserver/o/par/"
    assert data["require_pushed_authorization_requests"] is False
    assert data["request_uri_parameter_supported"] is False


def test_an_oidc_request_uri_by_reference_is_still_not_supported(auth_client, application):
    _, challenge = pkce_pair()
    params = authorize_params(application, scope="openid", challenge=challenge)
    response = auth_client.get(AUTHORIZE, {**params, "request_uri": "https://app.example.com/request.jwt"})
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["request_uri_not_supported"]


def test_a_push_is_counted(client, application):
    from prometheus_client import REGISTRY

    def count(outcome):
        return REGISTRY.get_sample_value("gatehouse_oauth_pushed_requests_total", {"outcome": outcome}) or 0

    before_ok, before_bad = count("success"), count("invalid_client")
    raw_push(client, application)
    raw_push(client, application, secret="wrong")
    assert (count("success"), count("invalid_client")) == (before_ok + 1, before_bad + 1)


# --- How a pushed request ends --------------------------------------------------------------------


def test_denying_spends_the_pushed_request(auth_client, application):
    request_uri, _ = pushed_uri(auth_client, application)
    screen = par_authorize(auth_client, application, request_uri)
    data = {name: value for name, value in screen.context["form"].initial.items() if value is not None}
    denied = auth_client.post(AUTHORIZE, {**data, "csrfmiddlewaretoken": "-"})
    assert parse_qs(urlsplit(denied["Location"]).query)["error"] == ["access_denied"]
    assertContains(par_authorize(auth_client, application, request_uri), "already used", status_code=400)


def test_a_remembered_consent_answers_at_once_and_spends_it(auth_client, application):
    first, _ = pushed_uri(auth_client, application)
    allow(auth_client, par_authorize(auth_client, application, first))
    second, _ = pushed_uri(auth_client, application)
    answered = par_authorize(auth_client, application, second)
    assert answered.status_code == 302 and "code=" in answered["Location"]
    assertContains(par_authorize(auth_client, application, second), "already used", status_code=400)


def test_prompt_none_errors_go_back_to_the_client_and_spend_it(client, application):
    request_uri, _ = pushed_uri(client, application, prompt="none")
    answered = par_authorize(client, application, request_uri)
    assert parse_qs(urlsplit(answered["Location"]).query)["error"] == ["login_required"]
    assertContains(par_authorize(client, application, request_uri), "already used", status_code=400)


def test_prompt_login_signs_out_and_keeps_the_pushed_request(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    request_uri, _ = pushed_uri(client, application, prompt="login")
    entry = par_authorize(client, application, request_uri)
    assert entry["Location"].startswith("/accounts/login/")
    login = client.post(entry["Location"], {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302
    screen = client.get(login["Location"])
    assertContains(screen, application.name)
    assert allow(client, screen).status_code == 302

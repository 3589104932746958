"""Redirect-URI rules: https only, loopback IPs and private-use schemes for native apps (RFC 8252)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from oauth2_provider.settings import oauth2_settings
from pytest_django.asserts import assertContains

from apps.developer.validators import check_origin, check_redirect_uri, clean_uri_list
from apps.oauth.models import Application
from tests.developer.conftest import form_data, make_app
from tests.html import elements, field_errors
from tests.oauth_flow import pkce_pair

ACCEPTED = [
    ("https://app.example.com/callback", False),
    ("https://app.example.com/callback?tenant=1", False),
    ("https://app.example.com:8443/auth/done", False),
    ("http://127.0.0.1/callback", False),
    ("http://127.0.0.1:8400/callback", False),
    ("http://[::1]:8400/callback", True),
    ("com.example.app:/oauth/callback", True),
]

REFUSED = [
    (
        "http://app.example.com/callback",
        False,
        "Use https. Plain http is only allowed for loopback addresses",
    ),
    ("http://localhost:8400/callback", True, "Use http://127.0.0.1 (or http://[::1]) instead of localhost"),
    ("https://app.example.com/callback#done", False, "Remove the #fragment"),
    ("https://*.example.com/callback", False, "Wildcards are not allowed"),
    ("https://app.example.com/*", False, "Wildcards are not allowed"),
    ("https://user:pass@app.example.com/callback", False, "Remove the user name or password before @"),
    ("/callback", False, "Write the full URI, starting with https://"),
    ("javascript:alert(1)", True, "The javascript: scheme cannot be a redirect URI."),
    ("data:text/html,hi", True, "The data: scheme cannot be a redirect URI."),
    ("com.example.app:/callback", False, "Custom schemes are for native and mobile apps"),
    ("myapp:/callback", True, "Name a custom scheme after a domain you own, reversed"),
    ("com.example.app://callback", True, "with one slash after the colon"),
    ("https://app.example.com:99999/callback", False, "This is not a valid URI."),
    ("https://exa mple.com/callback", False, "not a valid web address"),
]


@pytest.mark.parametrize(("uri", "native"), ACCEPTED)
def test_allowed_redirect_uris_pass(uri, native):
    check_redirect_uri(uri, native=native)


@pytest.mark.parametrize(("uri", "native", "message"), REFUSED)
def test_refused_redirect_uris_say_why(uri, native, message):
    with pytest.raises(ValidationError) as caught:
        check_redirect_uri(uri, native=native)
    assert message in caught.value.messages[0]


def test_duplicate_redirect_uris_are_refused_with_their_position():
    with pytest.raises(ValidationError) as caught:
        clean_uri_list(
            "https://a.example.com/cb\nhttps://a.example.com/cb", check=lambda uri: None, label="Redirect URI"
        )
    assert caught.value.messages == ["Redirect URI 2 (https://a.example.com/cb) is listed twice."]


def test_redirect_uris_differing_only_in_scheme_or_host_case_are_refused(dev_client):
    uris = "https://Frame.example.com/callback\nHTTPS://frame.EXAMPLE.com/callback"
    response = dev_client.post(reverse("developer:app-create"), form_data(redirect_uris=uris))
    assert field_errors(response, "redirect_uris") == [
        "Redirect URI 2 (HTTPS://frame.EXAMPLE.com/callback) is the same address as Redirect URI 1 "
        "(https://Frame.example.com/callback): letter case does not matter in the scheme and host name. "
        "Keep one of them."
    ]
    assert not Application.objects.filter(name="Photo Frame").exists()


def test_redirect_uris_differing_in_path_case_are_two_uris(dev_client):
    uris = "https://frame.example.com/callback\nhttps://frame.example.com/Callback"
    response = dev_client.post(reverse("developer:app-create"), form_data(redirect_uris=uris))
    assert response.status_code == 200  # registered; its first secret is shown


def test_the_row_editor_marks_a_case_only_duplicate(dev_client):
    response = dev_client.get(
        reverse("developer:uri-editor", args=["redirect_uris"]),
        {"redirect_uris": ["https://frame.example.com/cb", "https://FRAME.example.com/cb"]},
    )
    rows = [e for e in elements(response) if e.tag == "input" and e.attrs.get("name") == "redirect_uris"]
    assert [row.attrs.get("aria-invalid") == "true" for row in rows] == [False, True, False]


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("https://app.example.com", True),
        ("https://app.example.com:8443", True),
        ("http://app.example.com", False),
        ("https://app.example.com/path", False),
        ("https://*.example.com", False),
    ],
)
def test_allowed_origins_are_bare_https_origins(origin, ok):
    if ok:
        check_origin(origin)
    else:
        with pytest.raises(ValidationError):
            check_origin(origin)


def test_each_bad_uri_is_reported_with_its_position_and_the_rest_is_kept(dev_client):
    uris = "https://frame.example.com/callback\nhttp://frame.example.com/callback\nhttps://frame.example.com/callback"
    response = dev_client.post(reverse("developer:app-create"), form_data(redirect_uris=uris))
    assert field_errors(response, "redirect_uris") == [
        "Redirect URI 2 (http://frame.example.com/callback): Use https. Plain http is only allowed for "
        "loopback addresses such as http://127.0.0.1:8080/callback.",
        "Redirect URI 3 (https://frame.example.com/callback) is listed twice.",
    ]
    assert not Application.objects.filter(name="Photo Frame").exists()


def test_dot_model_validation_still_runs_after_ours(dev_client, settings):
    """Our checks pass, DOT's clean() refuses (no signing key): its message reaches the page."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    oauth2_settings.reload()
    response = dev_client.post(reverse("developer:app-create"), form_data())
    assert response.status_code == 200
    assertContains(response, "<li>You must set OIDC_RSA_PRIVATE_KEY to use RSA algorithm</li>", html=True)
    assert not Application.objects.filter(name="Photo Frame").exists()


def test_native_app_registers_loopback_and_private_use_uris(dev_client):
    uris = "http://127.0.0.1/callback\ncom.example.frame:/oauth"
    response = dev_client.post(
        reverse("developer:app-create"), form_data(client_type=Application.CLIENT_PUBLIC, redirect_uris=uris)
    )
    assert response.status_code == 302
    app = Application.objects.get(name="Photo Frame")
    assert app.redirect_uris == "http://127.0.0.1/callback com.example.frame:/oauth"
    assert set(app.get_allowed_schemes()) == {"https", "http", "com.example.frame"}


def test_a_confidential_client_gets_no_private_use_scheme_even_in_the_database(developer):
    app = make_app(developer, redirect_uris="com.example.frame:/oauth")
    assert app.get_allowed_schemes() == ["https"]
    with pytest.raises(ValidationError) as caught:
        app.full_clean()
    assert "redirect_uris" in caught.value.message_dict


def _authorize(client, app, redirect_uri, verifier_challenge):
    _, challenge = verifier_challenge
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get(reverse("oauth2_provider:authorize"), params)
    assert page.status_code == 200, page.content[:300]
    return client.post(reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize"})


def test_a_loopback_redirect_uri_accepts_any_port_at_authorization_time(client, developer, user):
    """RFC 8252 §7.3, as DOT and our validator implement it: verified end to end."""
    app = make_app(
        developer, client_type=Application.CLIENT_PUBLIC, redirect_uris="http://127.0.0.1/callback"
    )
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = _authorize(client, app, "http://127.0.0.1:51234/callback", pkce_pair())
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:51234", "/callback")
    assert "code" in parse_qs(location.query)


def test_a_private_use_scheme_redirect_reaches_the_native_app(client, developer, user):
    app = make_app(developer, client_type=Application.CLIENT_PUBLIC, redirect_uris="com.example.frame:/oauth")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = _authorize(client, app, "com.example.frame:/oauth", pkce_pair())
    assert response.status_code == 302
    assert response["Location"].startswith("com.example.frame:/oauth?")
    assert "code" in parse_qs(urlsplit(response["Location"]).query)

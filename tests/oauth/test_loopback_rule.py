"""One loopback rule (RFC 8252 7.3): http to the IP literals 127.0.0.1 and [::1], any port.

The model, the developer console, the consent screen and redirect matching all ask it.
"""

import pytest
from django.core.exceptions import ValidationError

from apps.developer.validators import check_redirect_uri
from apps.oauth.consent import redirect_warning
from apps.oauth.models import Application
from apps.oauth.supported import is_loopback_uri, redirect_uri_registered

LOOPBACK = [
    "http://127.0.0.1/callback",
    "http://127.0.0.1:8400/callback",
    "http://[::1]/cb",
    "http://[::1]:51234/cb?x=1",
]
NOT_LOOPBACK = [
    "http://localhost:8400/callback",  # a name can be re-pointed (RFC 8252 8.3)
    "http://127.0.0.2/callback",  # the rest of 127/8 is not what native apps listen on
    "http://[::ffff:127.0.0.1]/cb",
    "http://127.0.0.1.example.com/callback",
    "https://127.0.0.1/callback",  # https is an ordinary web redirect, not the loopback rule
    "com.example.app:/callback",
]


@pytest.mark.parametrize("uri", LOOPBACK)
def test_loopback_ip_literals_over_http_are_loopback(uri):
    assert is_loopback_uri(uri)


@pytest.mark.parametrize("uri", NOT_LOOPBACK)
def test_anything_else_is_not_loopback(uri):
    assert not is_loopback_uri(uri)


def test_a_uri_that_does_not_parse_raises_as_urlsplit_does():
    with pytest.raises(ValueError):
        is_loopback_uri("http://[::1")


def http_is_accepted_by_the_model(uri: str) -> bool:
    app = Application(
        name="Native",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=uri,
        algorithm=Application.RS256_ALGORITHM,
    )
    try:
        app.clean()
    except ValidationError as error:
        return "redirect_uris" not in error.message_dict
    return True


def http_is_accepted_by_the_console(uri: str) -> bool:
    try:
        check_redirect_uri(uri, native=True)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("uri", [u for u in LOOPBACK + NOT_LOOPBACK if u.startswith("http://")])
def test_every_caller_uses_the_one_rule(uri):
    loopback = is_loopback_uri(uri)
    assert http_is_accepted_by_the_model(uri) is loopback
    assert http_is_accepted_by_the_console(uri) is loopback
    assert (redirect_warning(uri) or {}).get("kind") == ("loopback" if loopback else None)


@pytest.mark.parametrize(
    ("registered", "presented"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback"),
        ("http://[::1]:8000/cb", "http://[::1]:1234/cb"),
        ("http://localhost/callback", "http://localhost:51234/callback"),
        ("http://127.0.0.2/callback", "http://127.0.0.2:51234/callback"),
        ("https://127.0.0.1/callback", "https://127.0.0.1:51234/callback"),
    ],
)
def test_only_a_loopback_redirect_uri_may_come_back_on_another_port(registered, presented):
    assert redirect_uri_registered(presented, [registered]) is is_loopback_uri(registered)


@pytest.mark.parametrize("uri", ["https://localhost/callback", "https://127.0.0.1:8443/callback"])
def test_the_consent_screen_treats_https_to_this_device_as_a_website(uri):
    assert redirect_warning(uri) is None

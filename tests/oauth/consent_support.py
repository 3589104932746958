"""Helpers for the consent and connected-apps tests: read the consent form as a browser would.

No tests live here; the other test_consent*/test_connected*/test_authorize* files import these.
"""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

from django.test import Client
from django.urls import reverse

from tests.oauth_flow import REDIRECT_URI, authorize_params, exchange_code, pkce_pair

AUTHORIZE = "/o/authorize/"


class _ConsentForm(HTMLParser):
    """The fields a browser would submit from the consent form (#consent-form)."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.checkboxes: dict[str, dict] = {}
        self.radios: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "consent-form"
        if not self.inside or tag != "input":
            return
        kind, name = attrs.get("type"), attrs.get("name")
        if kind == "checkbox":
            self.checkboxes[attrs["id"].removeprefix("scope-")] = attrs
        elif kind == "radio":
            self.radios.append(attrs)
        elif name:
            self.fields.append((name, attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def read_form(response) -> _ConsentForm:
    parser = _ConsentForm()
    parser.feed(response.content.decode())
    return parser


def submit(
    client: Client,
    screen,
    *,
    allow: bool = True,
    untick: tuple[str, ...] = (),
    tick: tuple[str, ...] = (),
    remember: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    replace: dict[str, str] | None = None,
):
    """Submit the consent form of `screen` like a browser: ticked boxes, a radio, a button."""
    form = read_form(screen)
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)
    for key, value in (replace or {}).items():
        data[key] = [value]
    granted = [
        name
        for name, box in form.checkboxes.items()
        if "disabled" not in box and (("checked" in box and name not in untick) or name in tick)
    ]
    data["granted"] = granted
    checked = [r["value"] for r in form.radios if "checked" in r]
    data["remember"] = [remember or checked[0]]
    if allow:
        data["allow"] = ["Authorize"]
    for name, value in extra or []:
        data.setdefault(name, []).append(value)
    return client.post(AUTHORIZE, data)


def screen_for(client: Client, application, *, scope: str = "openid profile email", **extra):
    """GET the authorization endpoint; return (response, code_verifier)."""
    verifier, challenge = pkce_pair()
    params = authorize_params(application, scope=scope, challenge=challenge, **extra)
    return client.get(reverse("oauth2_provider:authorize"), params), verifier


def redirect_query(response) -> dict:
    assert response.status_code == 302, response.content[:400]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def token_for(client: Client, application, response, verifier: str) -> dict:
    """Exchange the code in the redirect `response` for tokens."""
    code = redirect_query(response)["code"]
    exchanged = exchange_code(client, application, code=code, verifier=verifier)
    assert exchanged.status_code == 200, exchanged.content
    return exchanged.json()


def userinfo_status(client: Client, access_token: str) -> int:
    return client.get(
        reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {access_token}"
    ).status_code

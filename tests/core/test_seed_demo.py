import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from apps.accounts.models import User
from apps.oauth.management.commands import seed_demo
from apps.oauth.models import Application

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_leaves_one_demo_user_and_one_demo_client(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(email=seed_demo.DEMO_EMAIL).count() == 1
    assert Application.objects.filter(client_id=seed_demo.DEMO_CLIENT_ID).count() == 1
    assert EmailAddress.objects.get(email=seed_demo.DEMO_EMAIL).verified
    output = capsys.readouterr().out
    assert seed_demo.DEMO_PASSWORD in output and seed_demo.DEMO_CLIENT_SECRET in output


def test_demo_user_can_sign_in_with_the_printed_password(client):
    call_command("seed_demo")
    response = client.post(
        "/accounts/login/", {"login": seed_demo.DEMO_EMAIL, "password": seed_demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_a_second_seed_keeps_the_demo_user_signed_in(client):
    call_command("seed_demo")
    client.post("/accounts/login/", {"login": seed_demo.DEMO_EMAIL, "password": seed_demo.DEMO_PASSWORD})
    call_command("seed_demo")  # the second `make run`
    assert client.get("/dashboard/").status_code == 200


def test_demo_client_secret_is_stored_only_as_a_hash():
    call_command("seed_demo")
    dump = _dump_database()
    assert seed_demo.DEMO_CLIENT_SECRET not in dump
    assert seed_demo.DEMO_PASSWORD not in dump


def _dump_database() -> str:
    import io

    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def test_demo_client_completes_a_sign_in_with_its_loopback_redirect(client):
    """What `make run` prints must work: the demo client's http://127.0.0.1 redirect (RFC 8252)."""
    from urllib.parse import parse_qs, urlparse

    from tests.oauth_flow import pkce_pair

    call_command("seed_demo")
    client.force_login(
        User.objects.get(email=seed_demo.DEMO_EMAIL), backend="django.contrib.auth.backends.ModelBackend"
    )
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": seed_demo.DEMO_CLIENT_ID,
        "redirect_uri": seed_demo.DEMO_REDIRECT_URI,
        "scope": "openid profile email",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get("/o/authorize/", params)
    assert page.status_code == 200
    response = client.post("/o/authorize/", {**params, "allow": "Allow", "granted": params["scope"].split()})
    assert response.status_code == 302
    assert response["Location"].startswith(seed_demo.DEMO_REDIRECT_URI)
    code = parse_qs(urlparse(response["Location"]).query)["code"][0]
    token = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seed_demo.DEMO_REDIRECT_URI,
            "client_id": seed_demo.DEMO_CLIENT_ID,
            "client_secret": seed_demo.DEMO_CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content
    assert "id_token" in token.json()

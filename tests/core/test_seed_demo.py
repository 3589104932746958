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
    response = client.post("/accounts/login/", {"login": seed_demo.DEMO_EMAIL, "password": seed_demo.DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


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

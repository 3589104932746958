"""One voice in English: allauth's strings in the house style, from the catalogue in locale/en."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

pytestmark = pytest.mark.django_db
CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    text = (CATALOGUE / "django.po").read_text()
    pairs = re.findall(r'^msgid "((?:[^"\\]|\\.)+)"\nmsgstr "((?:[^"\\]|\\.)*)"$', text, re.M)
    return {msgid.replace('\\"', '"'): msgstr.replace('\\"', '"') for msgid, msgstr in pairs}


def test_the_committed_mo_is_compiled_from_the_po():
    with (CATALOGUE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    entries = po_entries()
    assert entries, "no entries parsed from django.po"
    stale = {msgid for msgid, msgstr in entries.items() if compiled.gettext(msgid) != msgstr}
    assert not stale, f"locale/en/LC_MESSAGES/django.mo is out of date (run `make messages`): {stale}"


def test_sign_in_page_speaks_in_sentence_case_without_colons(client):
    response = client.get(reverse("account_login"))
    assertContains(response, "<h1>Sign in</h1>", html=True)
    assertContains(response, '<label for="id_remember">Remember me</label>', html=True)
    assertContains(response, '<label for="id_login">Email</label>', html=True)
    for title_case in ("Sign In", "Remember Me", "Email:"):
        assertNotContains(response, title_case)


def test_sign_up_page_too(client):
    assertContains(client.get(reverse("account_signup")), "<h1>Sign up</h1>", html=True)


def test_password_change_page_too(auth_client):
    response = auth_client.get(reverse("account_change_password"))
    assert response.status_code == 200
    assertNotContains(response, "Change Password")


def test_password_reset_done_page_has_a_way_to_sign_in(client):
    response = client.get(reverse("account_reset_password_done"))
    assertContains(response, f'<a href="{reverse("account_login")}">Back to sign in</a>', html=True)

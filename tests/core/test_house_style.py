"""One voice in English: allauth's strings in the house style, from the catalogue in locale/en."""

import ast
import gettext
from pathlib import Path

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

pytestmark = pytest.mark.django_db
LOCALE = Path(__file__).resolve().parents[2] / "locale"


def po_catalogue(path: Path) -> dict:
    """What msgfmt compiles from a .po: {msgid: msgstr}, {(msgid, n): msgstr[n]} for plurals,
    `context\x04msgid` with a msgctxt, as GNUTranslations keys them. Fuzzy, untranslated and
    obsolete (#~) entries are left out, as msgfmt leaves them out."""
    catalogue, entry, key, fuzzy = {}, {}, None, False

    def flush():
        if "msgid" in entry and not fuzzy:
            msgid = entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
            forms = {k: v for k, v in entry.items() if k.startswith("msgstr")}
            for name, value in forms.items():
                index = name[len("msgstr[") : -1] if "[" in name else None
                if value or msgid == "":
                    catalogue[msgid if index is None else (msgid, int(index))] = value

    for line in [*path.read_text().splitlines(), ""]:
        if not line.strip():
            flush()
            entry, key, fuzzy = {}, None, False
        elif line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return catalogue


@pytest.mark.parametrize("po", sorted(LOCALE.glob("*/LC_MESSAGES/django.po")), ids=lambda p: p.parts[-3])
def test_the_committed_mo_is_compiled_from_the_po(po):
    with po.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog
    expected = po_catalogue(po)
    assert len(expected) > 1, f"no entries parsed from {po}"
    expected.pop("", None)  # the header: msgfmt rewrites it
    compiled = {key: value for key, value in compiled.items() if key != ""}
    stale = {key for key in expected.keys() | compiled.keys() if expected.get(key) != compiled.get(key)}
    assert not stale, (
        f"{po.with_suffix('.mo')} is out of date (run `make messages`): {sorted(map(str, stale))}"
    )


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

"""The French catalogue is complete, compiled, keeps every placeholder, and the pages use it."""

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tests.oauth.consent_support import screen_for

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|</?\w+[^>]*>")


def entries() -> list[dict]:
    """(msgctxt, msgid, msgid_plural, msgstrs) of every entry but the header."""
    found = []
    for block in (CATALOGUE / "django.po").read_text().split("\n\n"):
        fields: dict = {"msgstr": []}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key, text = match.groups()
                if key.startswith("msgstr"):
                    fields["msgstr"].append(text)
                else:
                    fields[key] = text
            elif line.startswith('"') and key:
                if key.startswith("msgstr"):
                    fields["msgstr"][-1] += line[1:-1]
                else:
                    fields[key] += line[1:-1]
        if fields.get("msgid"):
            found.append(fields)
    return found


def test_catalogue_is_complete_and_not_fuzzy():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE / "django.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert "nplurals=2; plural=(n > 1);" in (CATALOGUE / "django.po").read_text()


def test_every_translation_keeps_the_placeholders_and_tags():
    checked = 0
    for entry in entries():
        for index, msgstr in enumerate(entry["msgstr"]):
            source = entry["msgid"] if index == 0 else entry.get("msgid_plural", entry["msgid"])
            wanted = {
                tuple(sorted(PLACEHOLDER.findall(s))) for s in (source, entry.get("msgid_plural", source))
            }
            assert tuple(sorted(PLACEHOLDER.findall(msgstr))) in wanted, (entry["msgid"], msgstr)
            checked += 1
    assert checked > 900


def test_the_committed_mo_is_compiled_from_the_po():
    with (CATALOGUE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for entry in entries():
        if "msgid_plural" in entry or "msgctxt" in entry:
            continue
        msgid = entry["msgid"].encode().decode("unicode_escape").encode("latin-1").decode()
        msgstr = entry["msgstr"][0].encode().decode("unicode_escape").encode("latin-1").decode()
        assert compiled.gettext(msgid) == msgstr, f"django.mo is out of date for {msgid!r}"


@pytest.mark.django_db
def test_consent_screen_speaks_french(auth_client, application):
    # As the footer switcher leaves it: the language middleware decides per request.
    auth_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response, _ = screen_for(auth_client, application, scope="openid profile email read")
    assertContains(response, "souhaite accéder à votre compte Gatehouse")
    assertContains(response, ">Autoriser<")
    assertContains(response, ">Refuser<")
    assertContains(response, "Savoir qui vous êtes")
    assertNotContains(response, "wants to access")


@pytest.mark.django_db
def test_connected_apps_and_sign_in_speak_french(client, user, application):
    from tests.oauth_flow import obtain_tokens

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assertContains(client.get(reverse("account_login")), "Se connecter avec une clé d'accès")
    obtain_tokens(client, user=user, application=application, scope="openid profile")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("oauth:connected-apps"))
    assertContains(response, "Révoquer l'accès")
    assertContains(response, "1 application peut utiliser votre compte.")
    assertNotContains(response, "Revoke access")

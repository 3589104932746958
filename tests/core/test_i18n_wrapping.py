"""Every user-facing string of the account, security and core pages goes through translation.

The scan finds text that a template shows outside {% translate %} / {% blocktranslate %}; the
page tests show that a page really switches language (allauth's German catalogue supplies the
words a translator has not written yet) and that dates follow the language.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from pytest_django.asserts import assertContains, assertNotContains

from apps.core.scopes import CATALOGUE
from apps.oauth.scopes import CatalogueScopes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WRAPPED = [
    "base.html",
    "400.html",
    "404.html",
    "500.html",
    "_pagination.html",
    *(
        f"{folder}/"
        for folder in (
            "account",
            "accounts",
            "allauth",
            "mfa",
            "usersessions",
            "social",
            "audit",
            "core",
            "apikeys",
            "api",
        )
    ),
]
# Text that is not language: CSS classes in blocks, the product name, a shell example, meta values.
NOT_LANGUAGE = re.compile(
    r"^(X?(page|page page-narrow|card|card auth-card)X?|X · Gatehouse|"
    r"width=device-width, initial-scale=1|X\s+curl -H \"Authorization: Bearer X\" X://XX)$"
)


def untranslated_text(source: str) -> list[str]:
    """Lines of visible text (and text attributes) left outside the translation tags."""
    s = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", source, flags=re.S)
    s = re.sub(r"\{% blocktrans(?:late)?\b.*?\{% endblocktrans(?:late)? %\}", "T", s, flags=re.S)
    s = re.sub(r"<script\b.*?</script>", "", s, flags=re.S)
    found = []
    for tag in re.findall(r"\{%.*?%\}", s, flags=re.S):
        found += re.findall(r'\b(?:\w*label|\w*heading|title|text)="([^"]*[A-Za-z]{2}[^"]*)"', tag)
    s = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "X", s, flags=re.S)
    attributes = r'\b(?:title|alt|aria-label|placeholder|hx-confirm)="([^"]*)"'
    s = re.sub(
        r"<(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>", lambda m: " " + " ".join(re.findall(attributes, m[0])) + " ", s
    )
    for line in s.splitlines():
        text = line.strip()
        if re.search(r"[A-Za-z]{2,}", text.replace("X", " ")) and not NOT_LANGUAGE.match(text):
            found.append(text)
    return found


def wrapped_templates() -> list[Path]:
    paths = []
    for entry in WRAPPED:
        path = TEMPLATES / entry
        paths += sorted(p for p in path.rglob("*") if p.is_file()) if entry.endswith("/") else [path]
    return paths


def test_the_scan_finds_text_outside_translation_tags():
    source = '{% load i18n %}<p title="Hi there">Hello {{ name }}</p><p>{% translate "Fine" %}</p>'
    assert untranslated_text(source) == ["X Hi there Hello X    X"]


@pytest.mark.parametrize("path", wrapped_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_text_goes_through_translation(path):
    assert untranslated_text(path.read_text()) == []


def test_scope_catalogue_is_translated_lazily_and_still_serialises():
    scope = CATALOGUE["openid"]
    assert isinstance(scope.label, Promise) and isinstance(scope.description, Promise)
    assert json.loads(json.dumps({"label": scope.label}, cls=DjangoJSONEncoder)) == {"label": "Sign you in"}
    # DOT gets plain strings.
    assert all(type(text) is str for text in CatalogueScopes().get_all_scopes().values())


@pytest.mark.django_db
def test_a_page_switches_language(auth_client):
    url = reverse("account_change_password")
    assertContains(auth_client.get(url), "Cancel")
    with translation.override("de"):
        response = auth_client.get(url)
    assertContains(response, "Abbrechen")  # allauth's German for our "Cancel"
    assertNotContains(response, ">Cancel<")


@pytest.mark.django_db
def test_dates_follow_the_language(auth_client, user):
    from apps.apikeys.services import create_api_key

    key, _raw = create_api_key(user=user, name="backup", scopes=["read"], expires=None)
    created = key.created
    english = auth_client.get(reverse("apikeys:key-list"))
    assertContains(english, f"{created.day} {created:%b} {created.year}")
    with translation.override("de"):
        german = auth_client.get(reverse("apikeys:key-list"))
    assertContains(german, f"{created:%d.%m.%Y}")

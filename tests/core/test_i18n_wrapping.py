"""Translated strings in use: the scope catalogue is lazy yet serialises, a page really switches
language, and dates follow it. (tests/core/test_translatable.py finds text left untranslated.)
"""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.functional import Promise
from pytest_django.asserts import assertContains, assertNotContains

from apps.core.scopes import CATALOGUE
from apps.oauth.scopes import CatalogueScopes


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
    response = auth_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assertContains(response, "Abbrechen")  # allauth's German for our "Cancel"
    assertNotContains(response, ">Cancel<")


@pytest.mark.django_db
def test_dates_follow_the_language(auth_client, user):
    from apps.apikeys.services import create_api_key

    key, _raw = create_api_key(user=user, name="backup", scopes=["read"], expires=None)
    created = key.created
    english = auth_client.get(reverse("apikeys:key-list"))
    assertContains(english, f"{created.day} {created:%b} {created.year}")
    german = auth_client.get(reverse("apikeys:key-list"), HTTP_ACCEPT_LANGUAGE="de")
    assertContains(german, f"{created:%d.%m.%Y}")

"""Every language in settings.LANGUAGES is really served: a compiled catalogue, and pages in it.

These fail until the translators' catalogues (locale/de, locale/fr, locale/es) land: that is
on purpose, so that advertising a language (discovery's ui_locales_supported) without
speaking it can't pass unnoticed.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.oauth_flow import authorize_params, pkce_pair

pytestmark = pytest.mark.django_db
LOCALE = settings.BASE_DIR / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# Sentences of the consent screen that a German page must not show in English.
CONSENT_ENGLISH = [
    "wants to access your",
    "This will allow",
    "Remember this decision",
    "Untick anything you don't want to share.",
    "Not you? Switch account",
    "Whichever you choose, you'll return to",
    "You can take access back at any time",
    "Unverified app.",
    "Deny",
    "Allow",
    "Skip to content",
    "Sign out",
]


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_language_has_a_compiled_catalogue(code):
    mo = LOCALE / code / "LC_MESSAGES" / "django.mo"
    assert mo.is_file(), (
        f"{mo.relative_to(settings.BASE_DIR)} is missing: run `make messages`, translate "
        f"locale/{code}/LC_MESSAGES/django.po and run `make messages` again (README, 'Languages')."
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_language_translates_the_switcher(code):
    with translation.override(code):
        assert translation.gettext("Language") != "Language", f"locale/{code} does not translate 'Language'"


def test_the_german_consent_screen_has_no_english_sentence(user, application):
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = authorize_params(
        application, scope="openid profile email", challenge=pkce_pair()[1], ui_locales="de"
    )
    response = browser.get(reverse("oauth2_provider:authorize"), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="de">' in page
    english = [sentence for sentence in CONSENT_ENGLISH if sentence in page]
    assert not english, f"The German consent screen still says, in English: {english}"


def test_the_usage_chart_keeps_dot_decimals_in_german(developer, application):
    # SVG coordinates are numbers for the browser, not for people: 12,5 would break the chart.
    browser = Client()
    browser.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.get(reverse("developer:app-detail", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "," not in svg.split("<title", 1)[0] + "".join(
        part.split(">", 1)[0] for part in svg.split("<rect")[1:]
    ), "A German page wrote an SVG coordinate with a decimal comma"

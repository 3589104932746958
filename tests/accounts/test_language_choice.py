"""Which language a page speaks: ui_locales, then the saved choice, then the browser, then English."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.accounts.models import Profile
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.oauth_flow import approve, authorize_params, exchange_code, pkce_pair

pytestmark = pytest.mark.django_db
AUTHORIZE = "/o/authorize/"
SET_LANGUAGE = "/i18n/setlang/"


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index("<html lang=") + len('<html lang="')
    return text[start : text.index('"', start)]


def consent_params(application, **extra) -> dict:
    return authorize_params(application, scope="openid profile", challenge=pkce_pair()[1], **extra)


def save_language(user, language: str) -> None:
    profile = Profile.objects.for_user(user)
    profile.language = language
    profile.save()


def test_ui_locales_renders_the_consent_screen_in_german(auth_client, application):
    response = auth_client.get(AUTHORIZE, consent_params(application, ui_locales="de"))
    assert response.status_code == 200
    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_the_first_supported_ui_locale_wins_and_a_region_falls_back(auth_client, application):
    response = auth_client.get(AUTHORIZE, consent_params(application, ui_locales="tlh de-CH fr"))
    assert html_lang(response) == "de"


def test_ui_locales_beats_the_saved_choice(auth_client, user, application):
    save_language(user, "fr")
    response = auth_client.get(AUTHORIZE, consent_params(application, ui_locales="es"))
    assert html_lang(response) == "es"


def test_an_unknown_ui_locale_is_ignored(auth_client, application):
    response = auth_client.get(
        AUTHORIZE, consent_params(application, ui_locales="tlh x-klingon"), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    assert html_lang(response) == "fr"


def test_ui_locales_carries_over_to_the_sign_in_page(client, application):
    response = client.get(AUTHORIZE, consent_params(application, ui_locales="de"), follow=True)
    assert response.request["PATH_INFO"] == reverse("account_login")
    assert html_lang(response) == "de"
    # A sign-in step without `next` (the second factor, say) keeps it through the session.
    assert html_lang(client.get(reverse("account_reset_password"))) == "de"


def test_signing_in_keeps_ui_locales_for_the_consent_screen(client, user, application):
    save_language(user, "fr")
    login = client.get(AUTHORIZE, consent_params(application, ui_locales="de"))
    assert login.status_code == 302
    response = client.post(login["Location"], {"login": user.email, "password": PASSWORD}, follow=True)
    assert response.request["PATH_INFO"] == AUTHORIZE
    assert html_lang(response) == "de"
    # Without an app's hint, the saved choice applies from the sign-in on.
    assert html_lang(client.get(reverse("core:dashboard"))) == "fr"


def test_the_saved_choice_beats_accept_language(auth_client, user):
    save_language(user, "es")
    response = auth_client.get(reverse("core:dashboard"), HTTP_ACCEPT_LANGUAGE="de,fr;q=0.5")
    assert html_lang(response) == "es"


def test_accept_language_is_used_otherwise(auth_client):
    response = auth_client.get(reverse("core:dashboard"), HTTP_ACCEPT_LANGUAGE="fr-CA,de;q=0.5")
    assert html_lang(response) == "fr"
    assert "Accept-Language" in response["Vary"]


def test_english_when_nothing_else_fits(client):
    assert html_lang(client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="tlh")) == "en"


def test_machine_requests_stay_english_without_varying(client):
    response = client.get("/o/.well-known/openid-configuration", HTTP_ACCEPT_LANGUAGE="de")
    assert "Accept-Language" not in response.get("Vary", "")
    response = client.get("/api/me/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 401
    assert response.json()["error_description"].isascii()


# --- The footer switcher ---------------------------------------------------------------------


def test_the_footer_switcher_is_a_labelled_form_with_native_names(client):
    response = client.get(reverse("account_login"))
    assertContains(response, f'<form class="language-switcher" method="post" action="{SET_LANGUAGE}">')
    assertContains(response, '<label for="language-switcher-select">Language</label>', html=True)
    assertContains(response, '<option value="de" lang="de">Deutsch</option>', html=True)
    assertContains(response, '<option value="fr" lang="fr">Français</option>', html=True)
    assertContains(response, '<option value="en" lang="en" selected>English</option>', html=True)
    assertContains(response, 'name="next" value="/accounts/login/"')


def test_the_switcher_works_without_javascript(client):
    response = client.post(SET_LANGUAGE, {"language": "de", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(page) == "de"
    assertContains(page, '<option value="de" lang="de" selected>Deutsch</option>', html=True)


def test_switching_saves_the_choice_of_a_signed_in_person(auth_client, user):
    response = auth_client.post(SET_LANGUAGE, {"language": "fr", "next": "/dashboard/"})
    assert response["Location"] == "/dashboard/"
    assert Profile.objects.get(user=user).language == "fr"
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.PROFILE_UPDATED).exists()
    # The choice follows the person to a browser that has never seen the cookie.
    auth_client.cookies.clear()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert html_lang(auth_client.get("/dashboard/")) == "fr"


def test_switching_needs_csrf(user):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(SET_LANGUAGE, {"language": "de", "next": "/"})
    assert response.status_code == 403


def test_the_switcher_refuses_an_off_site_next(client):
    response = client.post(SET_LANGUAGE, {"language": "de", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unsupported_language_saves_nothing(auth_client, user):
    auth_client.post(SET_LANGUAGE, {"language": "pt", "next": "/"})
    assert Profile.objects.for_user(user).language == ""


def test_switching_beats_the_apps_ui_locales(auth_client, application):
    page = (
        AUTHORIZE
        + "?"
        + "&".join(f"{k}={v}" for k, v in consent_params(application, ui_locales="de").items())
    )
    response = auth_client.post(SET_LANGUAGE, {"language": "es", "next": page})
    assert "ui_locales" not in response["Location"]
    assert html_lang(auth_client.get(response["Location"])) == "es"


def test_the_switcher_only_answers_post(client):
    assert client.get(SET_LANGUAGE).status_code == 405


# --- The profile page and the claims ---------------------------------------------------------


def test_the_profile_page_offers_the_language(auth_client, user):
    response = auth_client.get(reverse("accounts:profile"))
    assertContains(response, '<option value="" selected>The browser&#x27;s language</option>', html=True)
    assertContains(response, '<option value="es" lang="es">Español</option>', html=True)
    response = auth_client.post(
        reverse("accounts:profile"), {"display_name": "", "bio": "", "website": "", "language": "de"}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=user).language == "de"
    assert html_lang(auth_client.get(reverse("accounts:profile"))) == "de"


def test_an_htmx_save_of_the_language_reloads_the_page(auth_client, user):
    response = auth_client.post(
        reverse("accounts:profile"),
        {"display_name": "", "bio": "", "website": "", "language": "fr"},
        headers={"HX-Request": "true"},
    )
    assert response.headers["HX-Refresh"] == "true"


def test_the_profile_refuses_an_unknown_language(auth_client, user):
    response = auth_client.post(
        reverse("accounts:profile"), {"display_name": "", "bio": "", "website": "", "language": "xx"}
    )
    assert response.status_code == 200
    assert Profile.objects.for_user(user).language == ""


def test_the_locale_claim_comes_with_the_profile_scope(client, user, application):
    save_language(user, "de")
    verifier, challenge = pkce_pair()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    query = approve(client, application, scope="openid profile", challenge=challenge)
    tokens = exchange_code(client, application, code=query["code"], verifier=verifier).json()
    claims = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert claims["locale"] == "de"


def test_no_locale_claim_without_a_saved_language(client, user, application):
    verifier, challenge = pkce_pair()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    query = approve(client, application, scope="openid profile", challenge=challenge)
    tokens = exchange_code(client, application, code=query["code"], verifier=verifier).json()
    claims = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert "locale" not in claims


@pytest.mark.parametrize(
    "url", ["/o/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/o"]
)
def test_discovery_lists_the_languages(client, url):
    body = client.get(url).json()
    assert body["ui_locales_supported"] == ["en", "de", "fr", "es"]
    assert body["claims_locales_supported"] == ["en", "de", "fr", "es"]
    assert "locale" in body["claims_supported"]


def test_a_kept_ui_locale_stays_on_the_sign_in_pages(client, application):
    client.get(AUTHORIZE, consent_params(application, ui_locales="de"))
    assert html_lang(client.get(reverse("account_signup"))) == "de"
    assert html_lang(client.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE="fr")) == "fr"

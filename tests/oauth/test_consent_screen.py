"""The consent screen shows what the request asks, who asks, and for whom."""

import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from apps.oauth.models import Application, Consent
from tests.oauth.consent_support import AUTHORIZE, read_form, screen_for


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


def test_screen_names_the_app_its_developer_and_what_it_asks(auth_client, application):
    response, _ = screen_for(auth_client, application, scope="openid profile email read")
    assert response.status_code == 200
    assertContains(
        response,
        "<h1 id=consent-title><span class=consent-app-name>Photo Printer</span>"
        " wants to access your Gatehouse account</h1>",
        html=True,
    )
    assertContains(response, "by Dev Eloper")
    assertContains(response, "Prints your photos.")
    for label in ("Sign you in", "Your public profile", "Your email address", "Read your account"):
        assertContains(response, label)
    # Scopes the app did not ask for are not shown.
    assertNotContains(response, "Change your account")


def test_scopes_are_grouped_by_what_they_allow(auth_client, application):
    response, _ = screen_for(auth_client, application, scope="openid read write")
    for group in ("Know who you are", "See your data", "Make changes for you"):
        assertContains(response, group)
    assertNotContains(response, "Sensitive access")


def test_unverified_app_carries_a_warning(auth_client, application):
    response, _ = screen_for(auth_client, application)
    assertContains(response, "Unverified app.")
    assertNotContains(response, "Verified app<")


def test_verified_app_shows_the_badge_and_no_warning(auth_client, application):
    application.verification = application.Verification.VERIFIED
    application.save()
    response, _ = screen_for(auth_client, application)
    assertContains(response, "Verified app")
    assertNotContains(response, "Unverified app.")


def test_app_with_logo_and_links_shows_them(auth_client, application, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    application.logo.save("logo.png", png())
    application.privacy_policy_url = "https://printer.example.com/privacy"
    application.terms_url = "https://printer.example.com/terms"
    application.save()
    response, _ = screen_for(auth_client, application)
    assertContains(response, f'src="{application.logo.url}"')
    assertContains(response, 'href="https://printer.example.com/privacy"')
    assertContains(response, 'href="https://printer.example.com/terms"')
    assertContains(response, 'href="https://printer.example.com/"')
    assertNotContains(response, "has not published a privacy policy")


def test_app_without_logo_or_links_gets_a_monogram_and_says_so(auth_client, application):
    application.homepage_url = ""
    application.save()
    response, _ = screen_for(auth_client, application)
    assertContains(response, '<span class="consent-logo consent-monogram">P</span>', html=True)
    assertContains(response, "Photo Printer has not published a privacy policy or terms of service.")
    assertNotContains(response, "printer.example.com/<")


def test_developer_justifications_are_shown_as_the_apps_words(auth_client, application):
    application.scope_justifications = {"email": "We email you when your prints ship."}
    application.save()
    response, _ = screen_for(auth_client, application)
    assertContains(response, "Photo Printer says why:")
    assertContains(response, "We email you when your prints ship.")


def test_openid_and_required_scopes_cannot_be_unticked(auth_client, application):
    application.required_scopes = ["email"]
    application.save()
    response, _ = screen_for(auth_client, application, scope="openid profile email")
    boxes = read_form(response).checkboxes
    assert "disabled" in boxes["openid"] and "name" not in boxes["openid"]
    assert "disabled" in boxes["email"]
    assert "disabled" not in boxes["profile"] and boxes["profile"]["name"] == "granted"
    assertContains(response, "Required", count=2)


def test_sensitive_scopes_start_unticked(auth_client, application):
    application.allowed_scopes = [*application.allowed_scopes, "admin"]
    application.save()
    response, _ = screen_for(auth_client, application, scope="openid admin read")
    boxes = read_form(response).checkboxes
    assert "checked" not in boxes["admin"]
    assert "checked" in boxes["read"]
    assertContains(response, "Sensitive access")


def test_already_granted_scopes_are_shown_apart_from_new_ones(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid profile")
    response, _ = screen_for(auth_client, application, scope="openid profile email")
    assertContains(response, "<h2 id=already-title>Photo Printer already has access to</h2>", html=True)
    assertContains(response, "It now also asks to")
    boxes = read_form(response).checkboxes
    assert set(boxes) == {"email"}


def test_this_time_only_consent_asks_everything_again(auth_client, user, application):
    Consent.objects.create(user=user, application=application, scope="openid profile", remember="once")
    response, _ = screen_for(auth_client, application, scope="openid profile")
    assertNotContains(response, "already has access to")
    assert set(read_form(response).checkboxes) == {"openid", "profile"}


def test_signed_in_account_is_shown_with_a_switch_account_button(auth_client, application):
    response, _ = screen_for(auth_client, application)
    assertContains(response, "<strong>Ada Lovelace</strong>", html=True)
    assertContains(response, "ada@<wbr>example.<wbr>com")  # may wrap after @ and .
    assertContains(response, "Not you? Switch account")
    assertContains(response, 'action="/accounts/logout/"')
    assertContains(
        response, f'name="next" value="{response.wsgi_request.get_full_path()}"'.replace("&", "&amp;")
    )


def test_avatar_is_shown_when_the_user_has_one(auth_client, user, application, settings, tmp_path):
    from apps.accounts.models import Profile

    settings.MEDIA_ROOT = tmp_path
    profile = Profile.objects.for_user(user)
    profile.avatar.save("me.png", png())
    response, _ = screen_for(auth_client, application)
    assertContains(response, f'<img class="avatar" src="{profile.avatar.url}"')


@pytest.mark.parametrize(
    ("redirect_uri", "client_type", "says"),
    [
        ("http://127.0.0.1:8765/callback", Application.CLIENT_CONFIDENTIAL, "an address on this device"),
        ("com.example.printer:/oauth/callback", Application.CLIENT_PUBLIC, "an app on your device"),
    ],
)
def test_native_redirect_uris_are_named_in_a_warning(auth_client, developer, redirect_uri, client_type, says):
    native = Application.objects.create(
        name="Printer Desktop",
        user=developer,
        client_type=client_type,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        allowed_scopes=["openid", "profile"],
    )
    response, _ = screen_for(auth_client, native, scope="openid", redirect_uri=redirect_uri)
    assert response.status_code == 200, response.content[:300]
    assertContains(response, says)
    assertContains(response, f'<code class="consent-uri">{redirect_uri}</code>', html=True)


def test_https_redirect_uri_needs_no_warning(auth_client, application):
    response, _ = screen_for(auth_client, application)
    assertNotContains(response, "You'll be sent to")


def test_consent_screen_cannot_be_framed_or_cached(auth_client, application):
    response, _ = screen_for(auth_client, application)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_decision_without_csrf_token_is_refused(user, application):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen, _ = screen_for(browser, application)
    fields = dict(read_form(screen).fields)
    fields.pop("csrfmiddlewaretoken")
    response = browser.post(AUTHORIZE, {**fields, "allow": "Authorize"})
    assert response.status_code == 403


def test_decision_with_csrf_token_is_accepted(user, application):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen, _ = screen_for(browser, application)
    response = browser.post(AUTHORIZE, {**dict(read_form(screen).fields), "allow": "Authorize"})
    assert response.status_code == 302
    assert "code=" in response["Location"]


def test_screen_is_a_plain_form_that_works_without_javascript(auth_client, application):
    response, _ = screen_for(auth_client, application)
    assertContains(
        response, '<form method="post" action="/o/authorize/" class="consent-form" id="consent-form">'
    )
    assertContains(response, '<button type="submit" class="button button-secondary">Deny</button>', html=True)
    assertContains(
        response,
        '<button type="submit" name="allow" value="Authorize" class="button button-primary">Allow</button>',
        html=True,
    )
    assertNotContains(response, "hx-post")


@pytest.mark.parametrize("signed_in", [True, False])
def test_unknown_client_gets_an_error_page_not_a_redirect(client, user, application, signed_in):
    if signed_in:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    application.client_id = "someone-else"
    response, _ = screen_for(client, application)
    assert response.status_code == 400
    assertContains(response, "<h1 id=error-title>This app isn't registered</h1>", html=True, status_code=400)


@pytest.mark.parametrize("signed_in", [True, False])
def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(client, user, application, signed_in):
    if signed_in:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response, _ = screen_for(client, application, redirect_uri="https://evil.example.com/callback")
    assert response.status_code == 400
    assert "Location" not in response
    assertContains(
        response,
        "<h1 id=error-title>This app asked to send you somewhere unexpected</h1>",
        html=True,
        status_code=400,
    )


def test_a_developer_without_a_name_is_not_named_by_their_address(auth_client, application, developer):
    developer.first_name = developer.last_name = ""
    developer.save()
    response, _ = screen_for(auth_client, application)
    assertContains(response, "by printer.example.com")
    assertNotContains(response, "dev@example.com")

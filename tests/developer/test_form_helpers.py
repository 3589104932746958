"""The consent preview and the redirect-URI row editor that the settings form loads with HTMX."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.oauth.models import Application


def test_the_preview_shows_the_unsaved_settings_as_the_consent_screen(dev_client):
    response = dev_client.get(
        reverse("developer:consent-preview"),
        {
            "name": "Photo Frame",
            "description": "Shows your photos.",
            "allowed_scopes": ["openid", "email"],
            "why_email": "To send you a weekly photo.",
            "privacy_policy_url": "https://frame.example.com/privacy",
            "redirect_uris": "https://frame.example.com/callback",
        },
        headers={"HX-Request": "true"},
    )
    assert b"<html" not in response.content
    assertContains(response, '<span class="consent-app-name">Photo Frame</span>', html=True)
    assertContains(response, "Your email address")
    assertContains(response, "To send you a weekly photo.")
    assertContains(response, "privacy policy")
    assertContains(response, "<strong>frame.example.com</strong>", html=True)
    assertContains(response, "Unverified app.")
    assertNotContains(response, "Your public profile")


def test_the_preview_escapes_what_is_typed(dev_client):
    response = dev_client.get(reverse("developer:consent-preview"), {"name": "<script>alert(1)</script>"})
    assertNotContains(response, "<script>alert(1)</script>")
    assertContains(response, "&lt;script&gt;")


def test_the_preview_links_only_https_pages(dev_client):
    response = dev_client.get(
        reverse("developer:consent-preview"), {"privacy_policy_url": "javascript:alert(1)"}
    )
    assertNotContains(response, "javascript:")


def test_the_settings_page_starts_with_the_preview(dev_client, application):
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, 'id="consent-preview"')
    assertContains(response, "Prints your photos.")


def test_the_row_editor_has_one_row_per_uri_and_an_empty_one(dev_client):
    response = dev_client.get(
        reverse("developer:uri-editor", args=["redirect_uris"]),
        {"redirect_uris": "https://a.example.com/cb\nhttps://b.example.com/cb"},
    )
    assertContains(response, 'aria-label="Redirect URI 1"')
    assertContains(response, 'value="https://b.example.com/cb"')
    assertContains(response, 'aria-label="Redirect URI 3"')
    assertNotContains(response, 'aria-invalid="true"')


def test_the_row_editor_marks_the_rows_the_form_refused(dev_client):
    response = dev_client.get(
        reverse("developer:uri-editor", args=["redirect_uris"]),
        {
            "redirect_uris": "https://a.example.com/cb\ncom.example.app:/cb",
            "client_type": Application.CLIENT_CONFIDENTIAL,
        },
    )
    assert response.content.decode().count('aria-invalid="true"') == 1
    public = dev_client.get(
        reverse("developer:uri-editor", args=["redirect_uris"]),
        {"redirect_uris": "com.example.app:/cb", "client_type": Application.CLIENT_PUBLIC},
    )
    assertNotContains(public, 'aria-invalid="true"')


def test_a_new_row_is_numbered_after_the_existing_ones(dev_client):
    response = dev_client.get(
        reverse("developer:uri-row", args=["allowed_origins"]),
        {"allowed_origins": ["https://a.example.com", ""]},
    )
    assertContains(response, 'aria-label="Origin 3"')


def test_an_unknown_field_has_no_editor(dev_client):
    assert dev_client.get(reverse("developer:uri-editor", args=["name"])).status_code == 404
    assert dev_client.get(reverse("developer:uri-row", args=["name"])).status_code == 404


def preview(dev_client, **params):
    return dev_client.get(reverse("developer:consent-preview"), params, headers={"HX-Request": "true"})


def test_the_preview_groups_scopes_by_kind_like_the_consent_screen(dev_client):
    response = preview(dev_client, allowed_scopes=["openid", "read", "write"])
    assertContains(response, '<h5 class="scope-group-title', count=3)
    for heading in ["Know who you are", "See your data", "Make changes for you"]:
        assertContains(response, heading)


def test_the_preview_marks_required_scopes_and_openid_as_required(dev_client):
    response = preview(dev_client, allowed_scopes=["openid", "email", "read"], required_scopes=["email"])
    html = response.content.decode()
    assert html.count('<span class="badge scope-required">Required</span>') == 2
    assertContains(response, 'id="preview-scope-email" checked')
    assertContains(response, 'id="preview-scope-read" checked')


def test_the_preview_shows_sensitive_scopes_unticked(dev_client, developer):
    developer.is_staff = True
    developer.save()
    response = preview(dev_client, allowed_scopes=["openid", "introspection"])
    assertContains(response, 'id="preview-scope-introspection" aria-hidden')
    assertContains(response, '<span class="badge badge-warning">Sensitive</span>', html=True)


def test_the_preview_warns_about_a_loopback_or_custom_scheme_redirect(dev_client):
    native_app = {"allowed_scopes": ["openid"], "client_type": "public"}
    loopback = preview(dev_client, **native_app, redirect_uris="http://127.0.0.1:8080/cb")
    assertContains(loopback, "You'll be sent to an address on this device:")
    native = preview(dev_client, **native_app, redirect_uris="com.example.frame:/cb")
    assertContains(native, "You'll be sent to an app on your device:")
    assertContains(native, "“com.example.frame” links")
    web = preview(dev_client, allowed_scopes=["openid"], redirect_uris="https://frame.example.com/cb")
    assertNotContains(web, "You'll be sent to")


@pytest.mark.parametrize(
    ("client_type", "uri"),
    [
        ("confidential", "com.example.frame:/cb"),
        ("public", "http://frame.example.com/cb"),  # plain http
    ],
)
def test_the_preview_promises_no_return_to_a_redirect_the_form_refuses(dev_client, client_type, uri):
    response = preview(dev_client, allowed_scopes=["openid"], client_type=client_type, redirect_uris=uri)
    assertNotContains(response, "you'll return to")
    assertNotContains(response, "You'll be sent to")


def test_the_preview_names_the_first_accepted_redirect(dev_client):
    uris = ["http://frame.example.com/cb", "https://ok.example.com/cb"]
    response = preview(dev_client, allowed_scopes=["openid"], client_type="confidential", redirect_uris=uris)
    assertContains(response, "you'll return to <strong>ok.example.com</strong>")


def test_a_machine_to_machine_preview_shows_no_consent_screen(dev_client):
    response = preview(dev_client, allowed_scopes=["read"], grant_types=["client-credentials"])
    assertContains(response, "no one ever sees a consent screen")
    assertNotContains(response, "wants to access your")


def test_the_preview_offers_the_remember_choices_disabled(dev_client):
    response = preview(dev_client, allowed_scopes=["openid"])
    assertContains(response, '<fieldset class="consent-section consent-remember" disabled>')
    for label in ["Until I revoke it", "For 30 days", "This time only"]:
        assertContains(response, label)


def test_a_half_typed_redirect_uri_does_not_break_the_preview(dev_client):
    assert preview(dev_client, allowed_scopes=["openid"], redirect_uris="http://[::1").status_code == 200

"""The consent preview and the redirect-URI row editor that the settings form loads with HTMX."""

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
    assertContains(response, "Your e-mail address")
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

"""Registering and editing apps: presets, every invalid input, the cap, verified email, logos, audit."""

import os
import re
from io import BytesIO

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.developer.conftest import form_data, make_app
from tests.html import checked_values, field_errors
from tests.oauth_flow import authorize_params, pkce_pair

CREATE = "developer:app-create"
AUTH_CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS


def image_file(name="logo.png", size=(300, 200), fmt="PNG", **save) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, (30, 80, 200)).save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def noise_png(side: int) -> SimpleUploadedFile:
    """A real PNG that cannot be compressed: a few pixels, many bytes."""
    buffer = BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")


def test_the_list_shows_only_my_apps(dev_client, application, other_user):
    make_app(other_user, name="Someone Else's App")
    response = dev_client.get(reverse("developer:app-list"))
    assertContains(response, "Photo Printer")
    assertNotContains(response, "Someone Else's App")


def test_new_app_starts_by_asking_what_you_are_building(dev_client):
    response = dev_client.get(reverse(CREATE))
    assertContains(response, "<h1>What are you building?</h1>", html=True)
    for title in [
        "Web server app",
        "Single-page app",
        "Native or mobile app",
        "Machine-to-machine service",
        "TV or device",
    ]:
        assertContains(response, title)


@pytest.mark.parametrize(
    ("kind", "client_type", "grants"),
    [
        ("web", Application.CLIENT_CONFIDENTIAL, [AUTH_CODE]),
        ("spa", Application.CLIENT_PUBLIC, [AUTH_CODE]),
        ("native", Application.CLIENT_PUBLIC, [AUTH_CODE]),
        ("service", Application.CLIENT_CONFIDENTIAL, [CLIENT_CREDENTIALS]),
        ("device", Application.CLIENT_PUBLIC, [Application.GRANT_DEVICE_CODE]),
    ],
)
def test_what_you_build_presets_client_type_and_grants(dev_client, kind, client_type, grants):
    page = dev_client.get(reverse(CREATE), {"kind": kind})
    assert checked_values(page, "client_type") == [client_type]
    assert checked_values(page, "grant_types") == grants


def test_registering_creates_the_app_with_no_dot_secret_and_audits_it(dev_client, developer):
    response = dev_client.post(reverse(CREATE) + "?kind=web", form_data())
    app = Application.objects.get(name="Photo Frame")
    assert response.status_code == 200
    assert app.user == developer
    assert app.client_secret == ""  # DOT's own field stays empty: secrets are ClientSecret rows
    assert app.authorization_grant_type == AUTH_CODE and app.grant_types == [AUTH_CODE]
    assert app.algorithm == Application.RS256_ALGORITHM
    assert app.allowed_scopes == ["openid", "profile"]
    assert app.scope_justifications == {"profile": "To show your name on the frame."}
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_CREATED)
    assert event.user == developer and event.data["client_id"] == app.client_id


def test_several_grant_types_keep_the_code_grant_primary(dev_client):
    dev_client.post(reverse(CREATE), form_data(grant_types=[CLIENT_CREDENTIALS, AUTH_CODE]))
    app = Application.objects.get(name="Photo Frame")
    assert app.authorization_grant_type == AUTH_CODE
    assert app.allows_grant_type(CLIENT_CREDENTIALS) and app.allows_grant_type(AUTH_CODE)
    assert not app.allows_grant_type(Application.GRANT_DEVICE_CODE)


LONG = "x" * 1001
INVALID = [
    # (field with the error, what was posted, words in the message)
    ("name", {"name": ""}, "This field is required."),
    ("name", {"name": "n" * 81}, "at most 80 characters"),
    ("description", {"description": LONG}, "at most 1000 characters"),
    ("homepage_url", {"homepage_url": "http://frame.example.com/"}, "Use an https:// address"),
    ("privacy_policy_url", {"privacy_policy_url": "not a url"}, "Enter a valid URL."),
    ("terms_url", {"terms_url": "ftp://frame.example.com/terms"}, "Use an https:// address"),
    ("client_type", {"client_type": "hybrid"}, "Select a valid choice."),
    ("grant_types", {"grant_types": []}, "Choose at least one way for your app to get tokens."),
    ("grant_types", {"grant_types": [Application.GRANT_IMPLICIT]}, "Select a valid choice."),
    ("grant_types", {"grant_types": [Application.GRANT_PASSWORD]}, "Select a valid choice."),
    (
        "grant_types",
        {"client_type": Application.CLIENT_PUBLIC, "grant_types": [CLIENT_CREDENTIALS]},
        "Client credentials needs a confidential client",
    ),
    ("redirect_uris", {"redirect_uris": ""}, "Add at least one redirect URI"),
    ("redirect_uris", {"redirect_uris": "http://frame.example.com/cb"}, "Use https."),
    ("redirect_uris", {"redirect_uris": "https://frame.example.com/cb#x"}, "Remove the #fragment"),
    ("redirect_uris", {"redirect_uris": "https://*.example.com/cb"}, "Wildcards are not allowed"),
    (
        "redirect_uris",
        {"redirect_uris": "https://me:pw@frame.example.com/cb"},
        "Remove the user name or password",
    ),
    (
        "post_logout_redirect_uris",
        {"post_logout_redirect_uris": "http://frame.example.com/"},
        "Sign-out URI 1",
    ),
    (
        "allowed_origins",
        {"allowed_origins": "https://frame.example.com/app"},
        "only the scheme, host and port",
    ),
    ("allowed_scopes", {"allowed_scopes": []}, "Choose at least one scope your app may request."),
    ("allowed_scopes", {"allowed_scopes": ["openid", "superpowers"]}, "Select a valid choice."),
    ("allowed_scopes", {"allowed_scopes": ["openid", "admin"]}, "Select a valid choice."),
    ("why_profile", {"why_profile": "w" * 121}, "at most 120 characters"),
]


@pytest.mark.parametrize(
    ("field", "posted", "message"), INVALID, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(INVALID)]
)
def test_each_invalid_input_gets_a_field_error_and_the_rest_is_kept(dev_client, field, posted, message):
    data = form_data(**posted)
    response = dev_client.post(reverse(CREATE), data)
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(message in error for error in errors), errors
    assertContains(response, '<h2 id="error-summary-title">One thing to fix</h2>', html=True)
    assert not Application.objects.exists()
    # What was valid is still there, and the page leads to the problem.
    kept_name = "Photo Frame" if field != "name" else None
    if kept_name:
        assertContains(response, 'value="Photo Frame"')
    if field != "description":
        assertContains(response, "Shows your photos on a frame.")
    assertContains(response, 'name="why_profile"')
    assertContains(response, f'href="#field-{field}"')


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (image_file(size=(32, 32)), "make it at least 64x64"),
        (image_file(size=(5000, 80)), "keep each side at 4096 or less"),
        (image_file(name="logo.bmp", fmt="BMP"), "Upload a PNG, JPEG, WebP or GIF image (this one is BMP)"),
        (
            SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png"),
            "Upload a valid image",
        ),
        (noise_png(700), "1 MB or less"),
    ],
    ids=["too-small", "too-large", "bmp", "not-an-image", "too-heavy"],
)
def test_bad_logos_get_a_field_error(dev_client, upload, message):
    response = dev_client.post(reverse(CREATE), {**form_data(), "logo": upload})
    errors = field_errors(response, "logo")
    assert any(message in e for e in errors), errors
    assertContains(response, '<h2 id="error-summary-title">One thing to fix</h2>', html=True)
    assertContains(response, 'value="Photo Frame"')


def test_a_logo_is_resized_to_a_square_png_without_metadata(dev_client):
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Co"  # Make
    upload = image_file(name="photo.jpg", size=(600, 300), fmt="JPEG", exif=exif.tobytes())
    dev_client.post(reverse(CREATE), {**form_data(), "logo": upload})
    app = Application.objects.get(name="Photo Frame")
    assert app.logo.name.startswith(f"app-logos/{app.client_id}/logo-") and app.logo.name.endswith(".png")
    with app.logo.open() as stored, Image.open(stored) as image:
        assert image.format == "PNG" and image.size == (256, 256)
        assert not image.getexif()
    app.logo.delete()


def test_editing_replaces_the_logo_file(dev_client, application):
    url = reverse("developer:app-edit", args=[application.pk])
    fields = form_data(name="Photo Printer")
    dev_client.post(url, {**fields, "logo": image_file()})
    application.refresh_from_db()
    first = application.logo.name
    dev_client.post(url, {**fields, "logo": image_file(size=(400, 400))})
    application.refresh_from_db()
    assert application.logo.name != first
    assert not application.logo.storage.exists(first)
    application.logo.delete()


def test_editing_saves_and_audits_redirect_uri_changes(dev_client, application, developer):
    url = reverse("developer:app-edit", args=[application.pk])
    new_uris = "https://printer.example.com/callback\nhttps://printer.example.com/v2/callback"
    response = dev_client.post(url, form_data(name="Photo Printer 2", redirect_uris=new_uris))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.name == "Photo Printer 2"
    assert (
        application.redirect_uris
        == "https://printer.example.com/callback https://printer.example.com/v2/callback"
    )
    changed = AuditEvent.objects.get(kind=AuditEvent.Kind.REDIRECT_URIS_CHANGED)
    assert changed.user == developer
    assert changed.data["after"] == application.redirect_uris.split()
    assert "name" in AuditEvent.objects.get(kind=AuditEvent.Kind.APP_UPDATED).data["fields"]


def test_the_edit_form_shows_current_values_one_uri_per_line(dev_client, application):
    application.redirect_uris = "https://a.example.com/cb https://b.example.com/cb"
    application.save()
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "https://a.example.com/cb\nhttps://b.example.com/cb</textarea>")


def test_the_row_editor_posts_one_value_per_row(dev_client):
    data = form_data()
    data["redirect_uris"] = ["https://frame.example.com/callback", "", "http://127.0.0.1:9000/cb"]
    dev_client.post(reverse(CREATE), data)
    app = Application.objects.get(name="Photo Frame")
    assert app.redirect_uris == "https://frame.example.com/callback http://127.0.0.1:9000/cb"


def test_staff_may_allow_sensitive_scopes(client, developer):
    developer.is_staff = True
    developer.save()
    client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse(CREATE), form_data(allowed_scopes=["openid", "introspection"]))
    assert Application.objects.get(name="Photo Frame").allowed_scopes == ["openid", "introspection"]


def test_registration_stops_at_the_cap(dev_client, developer, settings):
    settings.GATEHOUSE_MAX_APPS_PER_USER = 2
    make_app(developer)
    make_app(developer, name="Second")
    response = dev_client.post(reverse(CREATE), form_data(), follow=True)
    assertContains(response, "You have reached the limit of 2 apps.")
    assert Application.objects.filter(user=developer).count() == 2
    assertNotContains(dev_client.get(reverse("developer:app-list")), "Register an app")


def test_an_unverified_email_cannot_register_apps(dev_client, developer):
    EmailAddress.objects.filter(user=developer).update(verified=False)
    response = dev_client.post(reverse(CREATE), form_data(), follow=True)
    assertContains(response, "Verify your email address before you register an app.")
    assert not Application.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("developer:app-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_required_scopes_are_saved_and_locked_on_the_consent_screen(dev_client, user):
    response = dev_client.post(
        reverse("developer:app-create"),
        form_data(allowed_scopes=["openid", "profile", "email"], required_scopes=["email"]),
    )
    assert response.status_code == 200  # registered; its first secret is shown
    app = Application.objects.get(name="Photo Frame")
    assert app.required_scopes == ["email"]
    person = Client()
    person.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = authorize_params(app, scope="openid profile email", challenge=pkce_pair()[1])
    params["redirect_uri"] = "https://frame.example.com/callback"
    screen = person.get(reverse("oauth2_provider:authorize"), params)
    assertContains(screen, '<input type="checkbox" id="scope-email" checked disabled', status_code=200)
    assertContains(screen, 'name="granted" value="profile"')


def test_a_required_scope_the_app_may_not_request_is_refused(dev_client):
    response = dev_client.post(
        reverse("developer:app-create"),
        form_data(allowed_scopes=["openid", "profile"], required_scopes=["email"]),
    )
    assert response.status_code == 200
    assert field_errors(response, "required_scopes") == [
        "email cannot be required: your app may not request it. Allow it too, or untick Required."
    ]
    assertContains(response, 'href="#field-required_scopes"')
    assert not Application.objects.filter(name="Photo Frame").exists()


def test_the_settings_form_shows_the_saved_required_scopes_ticked(dev_client, developer):
    app = make_app(developer, allowed_scopes=["openid", "email"], required_scopes=["email"])
    response = dev_client.get(reverse("developer:app-edit", args=[app.pk]))
    assert checked_values(response, "required_scopes") == ["email"]
    assertNotContains(response, 'name="required_scopes" value="openid"')
    assertContains(response, '<span class="badge scope-required">Required</span>', count=2)


def shown_uri_fields(response) -> set[str]:
    """The redirect fields the page shows (a `hidden` fieldset, or one in a hidden section, is not)."""
    from tests.html import elements

    shown = set()
    for element in elements(response):
        if element.tag == "fieldset" and element.attrs.get("id", "").startswith("field-"):
            name = element.attrs["id"].removeprefix("field-")
            hidden = "hidden" in element.attrs or (
                element.parent is not None and "hidden" in element.parent.attrs
            )
            if name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins") and not hidden:
                shown.add(name)
    return shown


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("web", {"redirect_uris", "post_logout_redirect_uris"}),
        ("spa", {"redirect_uris", "post_logout_redirect_uris", "allowed_origins"}),
        ("native", {"redirect_uris", "post_logout_redirect_uris"}),
        ("service", set()),
        ("device", set()),
    ],
)
def test_each_kind_shows_only_the_redirect_fields_it_needs(dev_client, kind, shown):
    response = dev_client.get(reverse(CREATE), {"kind": kind})
    assert shown_uri_fields(response) == shown


def test_ticking_the_code_grant_without_javascript_brings_the_redirects_back(dev_client):
    data = form_data(
        client_type="confidential", grant_types=[AUTH_CODE, CLIENT_CREDENTIALS], redirect_uris=""
    )
    response = dev_client.post(reverse(CREATE) + "?kind=service", data)
    assert response.status_code == 200
    assert {"redirect_uris", "post_logout_redirect_uris"} <= shown_uri_fields(response)
    assert "Add at least one redirect URI" in field_errors(response, "redirect_uris")[0]


@pytest.mark.parametrize(
    ("kind", "shown"), [("web", True), ("native", True), ("service", False), ("device", False)]
)
def test_the_par_switch_shows_only_with_the_code_grant(dev_client, kind, shown):
    from tests.html import elements

    response = dev_client.get(reverse(CREATE), {"kind": kind})
    [field] = [
        e for e in elements(response) if e.attrs.get("id") == "field-require_pushed_authorization_requests"
    ]
    assert ("hidden" not in field.attrs) is shown


def test_the_device_form_is_titled_with_tv_in_capitals(dev_client):
    response = dev_client.get(reverse(CREATE), {"kind": "device"})
    assertContains(response, "<h1>Register a TV or device</h1>", html=True)


def test_the_machine_to_machine_form_previews_no_consent_screen(dev_client):
    response = dev_client.get(reverse(CREATE), {"kind": "service"})
    assertContains(response, "no one ever sees a consent screen")
    assertNotContains(response, "wants to access your")


def test_a_confidential_app_gets_its_first_secret_at_registration_shown_once(dev_client):
    from apps.oauth.secrets import check_client_secret

    response = dev_client.post(reverse(CREATE) + "?kind=web", form_data())
    app = Application.objects.get(name="Photo Frame")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assertContains(response, "Copy your new client secret now.")
    assert app.secrets.count() == 1
    shown = re.search(r'id="new-secret" value="([^"]+)"', response.content.decode()).group(1)
    assert check_client_secret(application=app, value=shown)
    assertNotContains(response, "This app has no secret yet")
    again = dev_client.get(reverse("developer:app-detail", args=[app.pk]))
    assertNotContains(again, shown)


def test_a_public_app_is_registered_without_a_secret(dev_client):
    response = dev_client.post(reverse(CREATE) + "?kind=spa", form_data(client_type="public"))
    app = Application.objects.get(name="Photo Frame")
    assert response.status_code == 302
    assert not app.secrets.exists()

"""The profile page and the profile service it shares with the API."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from apps.accounts.models import Profile
from apps.accounts.services import update_profile
from apps.audit.models import AuditEvent
from tests.accounts.conftest import image_bytes, upload
from tests.html import texts

pytestmark = pytest.mark.django_db
URL = reverse("accounts:profile")
VALIDATE = reverse("accounts:profile-validate")
HTMX = {"HTTP_HX_REQUEST": "true"}


def post(client, data=None, files=None, **extra):
    return client.post(URL, {**(data or {}), **(files or {})}, **extra)


def stored_image(profile: Profile) -> Image.Image:
    with profile.avatar.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


# --- Page ---------------------------------------------------------------------------------


def test_profile_page_shows_the_form(auth_client):
    response = auth_client.get(URL)
    assertContains(response, "<h1>Profile</h1>", html=True)
    assertContains(response, 'name="display_name"')
    assertContains(response, 'enctype="multipart/form-data"')


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get(URL)
    assertRedirects(response, f"{reverse('account_login')}?next={URL}", fetch_redirect_response=False)


def test_plain_post_saves_and_redirects_with_a_message(auth_client, user):
    response = post(auth_client, {"display_name": "Countess Ada", "bio": "Notes on engines.", "website": ""})
    assertRedirects(response, URL, fetch_redirect_response=False)
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.bio) == ("Countess Ada", "Notes on engines.")
    assertContains(auth_client.get(URL), "Your profile is saved.")
    assert user.display_name == "Countess Ada"


def test_htmx_post_saves_and_returns_only_the_form(auth_client, user):
    response = post(auth_client, {"display_name": "Ada", "bio": "", "website": "https://ada.example"}, **HTMX)
    assert response.status_code == 200
    assertNotContains(response, "<html")
    assertContains(response, 'id="profile-form"')
    assertContains(response, "Your profile is saved.")
    assert Profile.objects.get(user=user).website == "https://ada.example"


def test_saving_records_which_fields_changed_not_their_values(auth_client, user):
    post(auth_client, {"display_name": "Ada L.", "bio": "", "website": ""})
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.PROFILE_UPDATED)
    assert event.data == {"fields": ["display_name"]}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_bad_url_keeps_what_was_typed_and_says_what_is_wrong(auth_client, user, headers):
    data = {"display_name": "Typed name", "bio": "Typed bio", "website": "javascript:alert(1)"}
    response = post(auth_client, data, **headers)
    assert response.status_code == 200
    assertContains(response, "Enter a web address like https://example.com.")
    assertContains(response, 'value="Typed name"')
    assertContains(response, "Typed bio")
    assertContains(response, 'aria-invalid="true"')
    assert Profile.objects.get(user=user).display_name == ""


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_after_a_failed_save_the_preview_shows_what_is_saved(auth_client, user, headers):
    Profile.objects.filter(pk=Profile.objects.for_user(user).pk).update(
        display_name="Saved name", bio="Saved bio"
    )
    data = {"display_name": "Typed name", "bio": "Typed bio", "website": "javascript:alert(1)"}
    response = post(auth_client, data, **headers)
    assert texts(response, "p", "preview-name") == ["Saved name"]
    assert texts(response, "p", "preview-bio") == ["Saved bio"]


def test_website_without_scheme_gets_https(auth_client, user):
    post(auth_client, {"display_name": "", "bio": "", "website": "ada.example.com"})
    assert Profile.objects.get(user=user).website == "https://ada.example.com"


def test_bio_longer_than_500_characters_is_refused(auth_client):
    response = post(auth_client, {"display_name": "", "bio": "x" * 501, "website": ""})
    assertContains(response, "at most 500 characters")


def test_display_name_with_control_characters_is_refused(auth_client):
    response = post(auth_client, {"display_name": "Ada\u0007", "bio": "", "website": ""})
    assertContains(response, "Use letters, numbers, spaces and punctuation only.")


# --- Avatar -------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_non_image_avatar_is_refused(auth_client, user, headers):
    files = {"avatar": upload("notes.png", b"%PDF-1.7 definitely not a picture", "image/png")}
    response = post(auth_client, {"display_name": "Kept", "bio": "", "website": ""}, files, **headers)
    assertContains(response, "Upload a PNG, JPEG or WebP picture.")
    assertContains(response, 'value="Kept"')
    assert not Profile.objects.get(user=user).avatar


def test_gif_avatar_is_refused(auth_client, user):
    files = {"avatar": upload("a.gif", image_bytes(fmt="GIF"), "image/gif")}
    response = post(auth_client, {"display_name": "", "bio": "", "website": ""}, files)
    assertContains(response, "Upload a PNG, JPEG or WebP picture.")


def test_oversized_avatar_is_refused(auth_client, user):
    # Random pixels do not compress: a 2 MB+ PNG that is otherwise a valid picture.
    noise = Image.frombytes("RGB", (1000, 1000), __import__("os").urandom(3_000_000))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > 2 * 1024 * 1024
    files = {"avatar": upload("big.png", buffer.getvalue())}
    response = post(auth_client, {"display_name": "", "bio": "", "website": ""}, files)
    assertContains(response, "the limit is 2 MB")
    assert not Profile.objects.get(user=user).avatar


def test_avatar_wider_than_4096_pixels_is_refused(auth_client, user):
    files = {"avatar": upload("wide.png", image_bytes(size=(5000, 40)))}
    response = post(auth_client, {"display_name": "", "bio": "", "website": ""}, files)
    assertContains(response, "the limit is 4096 × 4096")  # noqa: RUF001


def test_tiny_avatar_is_refused(auth_client, user):
    files = {"avatar": upload("tiny.png", image_bytes(size=(10, 10)))}
    response = post(auth_client, {"display_name": "", "bio": "", "website": ""}, files)
    assertContains(response, "it needs at least 32 × 32")  # noqa: RUF001


def test_photo_is_cropped_square_resized_and_reencoded_without_exif(auth_client, user):
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Inc."  # Make
    content = image_bytes(size=(1600, 1200), fmt="JPEG", exif=exif.tobytes())
    files = {"avatar": upload("holiday.jpeg", content, "image/jpeg")}
    assertRedirects(post(auth_client, {"display_name": "", "bio": "", "website": ""}, files), URL)
    profile = Profile.objects.get(user=user)
    image = stored_image(profile)
    assert (image.format, image.size) == ("JPEG", (512, 512))
    assert not image.getexif()
    assert profile.avatar.name.startswith(f"avatars/{user.pk}/") and profile.avatar.name.endswith(".jpg")
    assert "holiday" not in profile.avatar.name


def test_transparent_webp_is_kept_transparent_as_png(auth_client, user):
    content = image_bytes(size=(200, 200), fmt="WEBP", mode="RGBA", color=(0, 0, 0, 0))
    post(
        auth_client,
        {"display_name": "", "bio": "", "website": ""},
        {"avatar": upload("a.webp", content, "image/webp")},
    )
    image = stored_image(Profile.objects.get(user=user))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (200, 200))


def test_new_avatar_replaces_and_deletes_the_old_file(auth_client, user, django_capture_on_commit_callbacks):
    blank = {"display_name": "", "bio": "", "website": ""}
    post(auth_client, blank, {"avatar": upload()})
    old = Profile.objects.get(user=user).avatar
    old_name, storage = old.name, old.storage
    with django_capture_on_commit_callbacks(execute=True):
        post(auth_client, blank, {"avatar": upload("second.png", image_bytes(color="orange"))})
    assert Profile.objects.get(user=user).avatar.name != old_name
    assert not storage.exists(old_name)


def test_remove_picture_clears_the_avatar(auth_client, user, django_capture_on_commit_callbacks):
    blank = {"display_name": "", "bio": "", "website": ""}
    post(auth_client, blank, {"avatar": upload()})
    name = Profile.objects.get(user=user).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        post(auth_client, {**blank, "avatar-clear": "on"})
    profile = Profile.objects.get(user=user)
    assert not profile.avatar
    assert not profile.avatar.storage.exists(name)


def test_avatar_is_served_from_storage_url(auth_client, user):
    post(auth_client, {"display_name": "", "bio": "", "website": ""}, {"avatar": upload()})
    profile = Profile.objects.get(user=user)
    assertContains(auth_client.get(URL), f'src="{profile.avatar.url}"')


# --- Live validation ----------------------------------------------------------------------


def validate(client, name, data=None, files=None):
    return client.post(
        VALIDATE, {**(data or {}), **(files or {})}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME=name
    )


def test_live_validation_reports_a_bad_url_without_saving(auth_client, user):
    response = validate(auth_client, "website", {"website": "not a url"})
    assertContains(response, "Enter a web address like https://example.com.")
    assertNotContains(response, "<html")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_UPDATED).exists()


def test_live_validation_of_a_good_value_returns_no_error(auth_client):
    response = validate(auth_client, "website", {"website": "https://ada.example"})
    assert response.status_code == 200
    assert response.content.strip() == b""


def test_live_validation_checks_a_chosen_picture(auth_client, user):
    response = validate(auth_client, "avatar", files={"avatar": upload("x.png", b"GIF89a nope")})
    assertContains(response, "Upload a PNG, JPEG or WebP picture.")
    assert not Profile.objects.get(user=user).avatar


def test_live_validation_refuses_unknown_fields(auth_client):
    assert validate(auth_client, "is_staff", {"is_staff": "on"}).status_code == 400


def test_live_validation_sends_anonymous_users_to_sign_in(client):
    assert client.post(VALIDATE, {"website": "x"}, HTTP_HX_REQUEST="true").status_code == 302


def test_live_validation_refuses_get(auth_client):
    assert auth_client.get(VALIDATE).status_code == 405


# --- The service the API shares -------------------------------------------------------------


def test_update_profile_raises_a_per_field_error_dict(user):
    with pytest.raises(ValidationError) as excinfo:
        update_profile(user=user, data={"display_name": "", "bio": "", "website": "ftp://files.example"})
    assert set(excinfo.value.error_dict) == {"website"}


def test_partial_update_keeps_the_other_fields(user):
    update_profile(user=user, data={"display_name": "Ada", "bio": "Bio", "website": "https://a.example"})
    profile = update_profile(user=user, data={"bio": "New bio"}, partial=True)
    assert (profile.display_name, profile.bio, profile.website) == ("Ada", "New bio", "https://a.example")


def test_full_update_clears_missing_fields(user):
    update_profile(user=user, data={"display_name": "Ada", "bio": "Bio", "website": ""})
    profile = update_profile(user=user, data={"display_name": "Ada"})
    assert profile.bio == ""


def test_update_profile_takes_a_file_and_null_avatar_removes_it(user):
    profile = update_profile(user=user, data={}, files={"avatar": upload()}, partial=True)
    assert profile.avatar
    profile = update_profile(user=user, data={"avatar": None}, partial=True)
    assert not profile.avatar


def test_update_profile_records_the_audit_event_with_the_request(rf, user):
    request = rf.post("/api/profile/", REMOTE_ADDR="198.51.100.4")
    update_profile(user=user, data={"display_name": "Ada"}, partial=True, request=request)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PROFILE_UPDATED)
    assert (event.user, event.ip_address) == (user, "198.51.100.4")

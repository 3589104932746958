"""Profile form: the one validation of profile data, used by the profile page and the REST API."""

import secrets
from io import BytesIO

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.accounts.models import Profile

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 4096
AVATAR_MIN_SIDE = 32
# What we keep: a square no larger than this, re-encoded (no EXIF, no trailing payloads).
AVATAR_SIZE = 512
AVATAR_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}


def reencode_avatar(upload: UploadedFile) -> ContentFile:
    """Check an uploaded picture and return it cropped square, resized and re-encoded."""
    if upload.size is not None and upload.size > AVATAR_MAX_BYTES:
        raise forms.ValidationError(
            "The picture is %(size)s MB; the limit is 2 MB.",
            code="file_too_large",
            params={"size": f"{upload.size / 1024 / 1024:.1f}"},
        )
    upload.seek(0)
    try:
        image = Image.open(upload)
        kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in AVATAR_FORMATS:
        raise forms.ValidationError("Upload a PNG, JPEG or WebP picture.", code="invalid_image")
    width, height = image.size
    # Checked from the header, before any pixel is decoded (decompression bombs).
    if max(width, height) > AVATAR_MAX_SIDE:
        raise forms.ValidationError(
            "The picture is %(width)s × %(height)s pixels; the limit is 4096 × 4096.",  # noqa: RUF001
            code="too_big",
            params={"width": width, "height": height},
        )
    if min(width, height) < AVATAR_MIN_SIDE:
        raise forms.ValidationError(
            "The picture is %(width)s × %(height)s pixels; it needs at least 32 × 32.",  # noqa: RUF001
            code="too_small",
            params={"width": width, "height": height},
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        message = "The picture is damaged; try another file."
        raise forms.ValidationError(message, code="invalid_image") from exc
    side = min(AVATAR_SIZE, *image.size)
    image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    out = BytesIO()
    if has_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        extension = "jpg"
    # A fresh name per upload, so a changed picture gets a new URL (caches, OIDC clients).
    return ContentFile(out.getvalue(), name=f"{secrets.token_urlsafe(9)}.{extension}")


def _formfield(field: models.Field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ProfileForm(forms.ModelForm):
    website = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="Your homepage or a page about you, starting with https://.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com", "autocomplete": "url"}),
        error_messages={"invalid": "Enter a web address like https://example.com."},
    )

    class Meta:
        model = Profile
        fields = ["display_name", "bio", "website", "avatar"]
        formfield_callback = _formfield
        labels = {"display_name": "Display name", "bio": "Bio", "avatar": "Profile picture"}
        help_texts = {
            "display_name": (
                "How you appear here and to apps you sign in to. Leave it empty to use your e-mail address."
            ),
            "bio": "A few words about yourself, up to 500 characters.",
            "avatar": "PNG, JPEG or WebP, up to 2 MB. It is cropped to a square.",
        }
        error_messages = {"avatar": {"invalid_image": "Upload a PNG, JPEG or WebP picture."}}
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname", "maxlength": 100}),
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
            "avatar": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if any(not ch.isprintable() for ch in name):
            raise forms.ValidationError("Use letters, numbers, spaces and punctuation only.", code="invalid")
        return name

    def clean_bio(self) -> str:
        return self.cleaned_data["bio"].strip()

    def clean_website(self) -> str:
        url = self.cleaned_data["website"]
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Enter a web address like https://example.com.", code="invalid")
        return url

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        # False clears the picture; the stored file (no `content_type`) is left as it is.
        if avatar and isinstance(avatar, UploadedFile):
            return reencode_avatar(avatar)
        return avatar


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account, apps and keys are deleted for good; this cannot be undone.",
        error_messages={"required": "Tick the box to confirm that you want to delete your account."},
    )

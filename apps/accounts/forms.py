"""Profile form: the one validation of profile data, used by the profile page and the REST API."""

from allauth.mfa.webauthn.forms import LoginWebAuthnForm
from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import Profile
from apps.core.images import ImageRules, reencode_image

AVATAR_MAX_BYTES = 2 * 1024 * 1024
# What we keep: a square no larger than 512 pixels, re-encoded (no EXIF, no trailing payloads).
AVATAR = ImageRules(
    formats=frozenset({"PNG", "JPEG", "WEBP"}),
    max_bytes=AVATAR_MAX_BYTES,
    min_side=32,
    max_side=4096,
    side=512,
    crop=True,
    photos_as_jpeg=True,
    messages={
        "file_too_large": gettext_lazy("The picture is %(size)s MB; the limit is 2 MB."),
        "invalid_image": gettext_lazy("Upload a PNG, JPEG or WebP picture."),
        "too_big": gettext_lazy(
            "The picture is %(width)s × %(height)s pixels; the limit is 4096 × 4096."  # noqa: RUF001
        ),
        "too_small": gettext_lazy(
            "The picture is %(width)s × %(height)s pixels; it needs at least 32 × 32."  # noqa: RUF001
        ),
        "damaged": gettext_lazy("The picture is damaged; try another file."),
    },
)


def reencode_avatar(upload: UploadedFile) -> ContentFile:
    """Check an uploaded picture and return it cropped square, resized and re-encoded."""
    return reencode_image(upload, AVATAR)


class LanguageSelect(forms.Select):
    """Each language's name is in that language: its option says so (WCAG 3.1.2)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


def language_choices() -> list[tuple[str, str]]:
    # The names stay in their own languages (settings.LANGUAGES), never translated.
    return [("", _("The browser's language")), *settings.LANGUAGES]


def _formfield(field: models.Field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ProfileForm(forms.ModelForm):
    website = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        label=gettext_lazy("Website"),
        help_text=gettext_lazy("Your homepage or a page about you, starting with https://."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com", "autocomplete": "url"}),
        error_messages={"invalid": gettext_lazy("Enter a web address like https://example.com.")},
    )

    language = forms.ChoiceField(
        required=False,
        choices=language_choices,
        label=gettext_lazy("Language"),
        help_text=gettext_lazy("The language of these pages, on every device you sign in on."),
        widget=LanguageSelect(attrs={"autocomplete": "language"}),
    )

    class Meta:
        model = Profile
        fields = ["display_name", "bio", "website", "language", "avatar"]
        formfield_callback = _formfield
        labels = {
            "display_name": gettext_lazy("Display name"),
            "bio": gettext_lazy("Bio"),
            "avatar": gettext_lazy("Profile picture"),
        }
        help_texts = {
            "display_name": gettext_lazy(
                "How you appear here and to apps you sign in to. Leave it empty to use your email address."
            ),
            "bio": gettext_lazy("A few words about yourself, up to 500 characters."),
            "avatar": gettext_lazy("PNG, JPEG or WebP, up to 2 MB. It is cropped to a square."),
        }
        error_messages = {"avatar": {"invalid_image": gettext_lazy("Upload a PNG, JPEG or WebP picture.")}}
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
            raise forms.ValidationError(
                _("Use letters, numbers, spaces and punctuation only."), code="invalid"
            )
        return name

    def clean_bio(self) -> str:
        return self.cleaned_data["bio"].strip()

    def clean_website(self) -> str:
        url = self.cleaned_data["website"]
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Enter a web address like https://example.com."), code="invalid")
        return url

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        # False clears the picture; the stored file (no `content_type`) is left as it is.
        if avatar and isinstance(avatar, UploadedFile):
            return reencode_avatar(avatar)
        return avatar


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that my account, apps and keys are deleted for good; this cannot be undone."
        ),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you want to delete your account.")
        },
    )


class PasskeyLoginForm(LoginWebAuthnForm):
    """allauth's passkey sign-in, refusing an unknown or removed passkey in words that fit it.

    allauth reuses "Incorrect code." for every failure, though nothing was typed.
    """

    def clean_credential(self):
        try:
            return super().clean_credential()
        except forms.ValidationError:
            raise forms.ValidationError(
                _(
                    "That passkey was not accepted. It may have been removed from your account: "
                    "sign in another way, then add it again."
                ),
                code="passkey_refused",
            ) from None

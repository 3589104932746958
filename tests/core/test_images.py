"""The shared re-encoder, with the rules of both its callers: profile pictures and app logos."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.forms import AVATAR
from apps.core.images import ImageRules, reencode_image
from apps.developer.services import LOGO

ORIENTATION, MAKE = 0x0112, 0x010F


def upload(size=(300, 200), fmt="PNG", mode="RGB", **save) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new(mode, size, (30, 80, 200) if mode == "RGB" else (30, 80, 200, 0)).save(buffer, fmt, **save)
    return SimpleUploadedFile(f"upload.{fmt.lower()}", buffer.getvalue())


def stored(content) -> Image.Image:
    image = Image.open(BytesIO(content.read()))
    image.load()
    return image


def refusal(rules: ImageRules, file) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        reencode_image(file, rules)
    return caught.value


@pytest.mark.parametrize(
    ("rules", "expected"),
    [(AVATAR, ("JPEG", (200, 200), ".jpg")), (LOGO, ("PNG", (256, 256), ".png"))],
    ids=["avatar", "logo"],
)
def test_a_photo_becomes_the_callers_square_without_metadata(rules, expected):
    exif = Image.Exif()
    exif[MAKE] = "Secret Camera Co"
    content = reencode_image(upload(fmt="JPEG", exif=exif.tobytes()), rules)
    image = stored(content)
    assert (image.format, image.size) == expected[:2]
    assert content.name.endswith(expected[2]) and content.name.startswith(rules.name_prefix)
    assert not image.getexif()


def test_an_avatar_is_cropped_and_a_logo_padded():
    wide = upload(size=(400, 100))
    avatar = stored(reencode_image(wide, AVATAR))
    logo = stored(reencode_image(wide, LOGO))
    assert avatar.size == (100, 100)  # cut to the short side, never enlarged
    assert logo.size == (256, 256) and logo.getpixel((0, 0))[3] == 0  # transparent margin


def close(pixel, color) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, color, strict=False))


@pytest.mark.parametrize(
    ("rules", "top", "bottom"),
    [(AVATAR, (50, 10), (50, 90)), (LOGO, (128, 20), (128, 236))],
    ids=["avatar", "logo"],
)
def test_the_exif_orientation_is_applied_before_it_is_dropped(rules, top, bottom):
    # Red left, blue right, stored on its side: upright (90° clockwise) it is red above blue.
    source = Image.new("RGB", (300, 100), (0, 0, 255))
    source.paste((255, 0, 0), (0, 0, 150, 100))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = BytesIO()
    source.save(buffer, "PNG", exif=exif.tobytes())
    image = stored(reencode_image(SimpleUploadedFile("side.png", buffer.getvalue()), rules))
    assert close(image.getpixel(top), (255, 0, 0)) and close(image.getpixel(bottom), (0, 0, 255))
    assert not image.getexif()


def test_transparency_is_kept_as_png_for_both():
    for rules in (AVATAR, LOGO):
        image = stored(reencode_image(upload(mode="RGBA", fmt="WEBP"), rules))
        assert (image.format, image.mode) == ("PNG", "RGBA")


@pytest.mark.parametrize(
    ("rules", "file", "code", "message"),
    [
        (AVATAR, upload(fmt="GIF"), "invalid_image", "Upload a PNG, JPEG or WebP picture."),
        (
            LOGO,
            upload(fmt="BMP"),
            "invalid_image",
            "Upload a PNG, JPEG, WebP or GIF image (this one is BMP).",
        ),
        (LOGO, SimpleUploadedFile("x.png", b"<svg/>"), "invalid_image", "(this one is unknown)"),
        (AVATAR, upload(size=(5000, 40)), "too_big", "The picture is 5000 × 40 pixels; the limit is"),  # noqa: RUF001
        (LOGO, upload(size=(5000, 80)), "too_big", "The logo is 5000x80 pixels; keep each side at 4096"),
        (AVATAR, upload(size=(10, 10)), "too_small", "it needs at least 32 × 32."),  # noqa: RUF001
        (LOGO, upload(size=(32, 32)), "too_small", "The logo is 32x32 pixels; make it at least 64x64."),
    ],
)
def test_each_caller_refuses_with_its_own_message(rules, file, code, message):
    error = refusal(rules, file)
    assert error.code == code
    assert message in error.messages[0]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (AVATAR, "The picture is 2.0 MB; the limit is 2 MB."),
        (LOGO, "This file is 1.0 MB; upload a logo of 1 MB or less."),
    ],
    ids=["avatar", "logo"],
)
def test_a_heavy_file_is_refused_before_it_is_parsed(rules, message):
    file = SimpleUploadedFile("big.png", b"\0" * (rules.max_bytes + 1))
    error = refusal(rules, file)  # zero bytes: parsed, they would be "invalid_image"
    assert (error.code, error.messages) == ("file_too_large", [message])


@pytest.mark.parametrize(
    ("rules", "message"),
    [(AVATAR, "The picture is damaged"), (LOGO, "This image could not be read.")],
    ids=["avatar", "logo"],
)
def test_a_truncated_file_is_damaged(rules, message):
    whole = upload(size=(300, 300)).read()
    error = refusal(rules, SimpleUploadedFile("cut.png", whole[: len(whole) // 2]))
    assert error.code == "invalid_image"
    assert message in error.messages[0]


def test_rules_must_say_every_message():
    with pytest.raises(ValueError, match="damaged"):
        ImageRules(
            **{**LOGO.__dict__, "messages": {k: v for k, v in LOGO.messages.items() if k != "damaged"}}
        )

"""The one re-encoder for uploaded pictures (profile pictures, app logos).

An upload is checked from its size and header before any pixel is decoded (decompression
bombs), then decoded, turned upright and re-encoded: what is stored carries no EXIF, no
trailing payload and nothing else of the uploaded file but its pixels.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

# The messages an ImageRules gives, by error code. Each may use %(size)s (MB, one decimal),
# %(format)s (Pillow's name, or "unknown") and %(width)s, %(height)s (pixels).
MESSAGE_CODES = ("file_too_large", "invalid_image", "too_big", "too_small", "damaged")


@dataclass(frozen=True)
class ImageRules:
    """What a caller accepts and what it stores."""

    formats: frozenset[str]  # Pillow format names
    max_bytes: int
    min_side: int
    max_side: int
    side: int  # the stored square
    crop: bool  # cover the square and cut the rest (never enlarged); else fit inside, padded
    messages: Mapping[str, str]
    photos_as_jpeg: bool = False  # opaque pictures as JPEG; else, and with alpha, PNG
    name_prefix: str = ""

    def __post_init__(self):
        if missing := set(MESSAGE_CODES) - set(self.messages):
            raise ValueError(f"ImageRules needs messages for {sorted(missing)}")

    def error(self, code: str, **params) -> ValidationError:
        # "damaged" is still an invalid image to whoever looks at the code.
        return ValidationError(
            self.messages[code], code="invalid_image" if code == "damaged" else code, params=params
        )

    def check_size(self, upload) -> None:
        """Refuse a file over `max_bytes` before anything parses it."""
        size = getattr(upload, "size", None)
        if size is not None and size > self.max_bytes:
            raise self.error("file_too_large", size=f"{size / 1024 / 1024:.1f}")


def reencode_image(upload, rules: ImageRules) -> ContentFile:
    """Check `upload` against `rules`; return it as a fresh square PNG or JPEG with a random name."""
    rules.check_size(upload)
    upload.seek(0)
    try:
        image = Image.open(upload)
        kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in rules.formats:
        raise rules.error("invalid_image", format=kind or "unknown")
    width, height = image.size
    if max(width, height) > rules.max_side:
        raise rules.error("too_big", width=width, height=height)
    if min(width, height) < rules.min_side:
        raise rules.error("too_small", width=width, height=height)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise rules.error("damaged") from exc
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    as_jpeg = rules.photos_as_jpeg and not has_alpha
    image = image.convert("RGB" if as_jpeg else "RGBA")
    if rules.crop:
        side = min(rules.side, *image.size)
        image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    else:
        image = ImageOps.pad(image, (rules.side, rules.side), color=(0, 0, 0, 0))
    out = BytesIO()
    if as_jpeg:
        image.save(out, "JPEG", quality=88, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    # A fresh name per upload, so a changed picture gets a new URL (caches, OIDC clients).
    extension = "jpg" if as_jpeg else "png"
    return ContentFile(out.getvalue(), name=f"{rules.name_prefix}{secrets.token_urlsafe(9)}.{extension}")

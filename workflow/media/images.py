"""Making an upload safe: only real images (JPEG, PNG, still GIF, WebP) decoded by
Pillow, oriented by their EXIF orientation, and re-encoded from the pixels alone,
so that no metadata (EXIF, GPS, XMP, comments, embedded profiles) survives."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from workflow.core.errors import CrierError

#: Pillow format name -> the MIME type Crier stores and sends.
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
#: The most pixels Crier decodes (a decompression bomb is refused before it fills memory).
MAX_PIXELS = 40_000_000
#: The longest side kept; larger photos are scaled down (X shows at most 4096).
MAX_SIDE = 4096


class MediaRefusedError(CrierError):
    """The upload is not an image Crier accepts; nothing was stored."""

    code = "invalid_media"
    status = 400


class MediaTooLargeError(CrierError):
    """The upload is over the size limit; nothing was stored."""

    code = "media_too_large"
    status = 413


@dataclasses.dataclass(frozen=True)
class CleanImage:
    """An image ready to store: its new bytes and what they are."""

    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
            if image.width * image.height > MAX_PIXELS:
                raise MediaRefusedError(f"the image is {image.width}x{image.height} pixels; Crier takes at most "
                                        f"{MAX_PIXELS:,} pixels", field="file")
            image.load()
    except MediaRefusedError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRefusedError("the file is not a JPEG, PNG, GIF or WebP image", field="file") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise MediaRefusedError("the image could not be read: it is damaged or incomplete", field="file") from None
    return image


def clean_image(data: bytes, max_bytes: int) -> CleanImage:
    """Decode ``data``, refuse anything but a still JPEG/PNG/GIF/WebP, and re-encode it without metadata."""
    if len(data) > max_bytes:
        raise MediaTooLargeError(f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes",
                                 field="file")
    if not data:
        raise MediaRefusedError("the file is empty", field="file")
    image = _open(data)
    fmt = image.format
    if fmt not in ACCEPTED:
        raise MediaRefusedError("the file is not a JPEG, PNG, GIF or WebP image", field="file")
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        raise MediaRefusedError("animated images are not accepted: upload a still image", field="file")
    try:
        oriented = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):
        oriented = image
    if max(oriented.size) > MAX_SIDE:
        oriented = oriented.copy()
        oriented.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # Only the pixels go on: a fresh image has no info, EXIF, XMP, ICC profile or comment.
    if fmt == "JPEG":
        pixels = oriented.convert("RGB")
        fresh = Image.new("RGB", pixels.size)
        fresh.paste(pixels)
        fresh.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        mode = "RGBA" if "A" in oriented.getbands() else "RGB"
        fresh = Image.new(mode, oriented.size)
        fresh.paste(oriented.convert(mode))
        fresh.save(out, "WEBP", quality=88)
    elif fmt == "GIF":
        fresh = Image.new("RGBA", oriented.size)
        fresh.paste(oriented.convert("RGBA"))
        fresh.convert("P", palette=Image.Palette.ADAPTIVE).save(out, "GIF")
    else:
        mode = "RGBA" if ("A" in oriented.getbands() or "transparency" in oriented.info) else "RGB"
        fresh = Image.new(mode, oriented.size)
        fresh.paste(oriented.convert(mode))
        fresh.save(out, "PNG", optimize=True)
    encoded = out.getvalue()
    if len(encoded) > max_bytes:
        raise MediaTooLargeError(f"the image is {len(encoded):,} bytes once re-encoded; the limit is "
                                 f"{max_bytes:,} bytes", field="file")
    return CleanImage(encoded, ACCEPTED[fmt], fresh.width, fresh.height)

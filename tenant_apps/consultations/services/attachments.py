"""Files people upload: attachments of contributions and consultation cover images.

What a file is comes from its content, never from its name or the content type the browser sent: an
image must open with Pillow as JPEG, PNG, WebP or GIF (SVG is never accepted: it can carry scripts), a
PDF must start with ``%PDF-``. Files are stored under a random name (with the sniffed extension) in the
city's media folder; the original name is kept for display only, without any directory part.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import AttachmentKind

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_COVER_BYTES = 5 * 1024 * 1024
# Larger images are refused before decoding (decompression bombs; no phone camera goes near this).
MAX_IMAGE_PIXELS = 80_000_000

IMAGE_TYPES: dict[str, tuple[str, str]] = {
    # Pillow format -> (content type, extension)
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
PDF_MAGIC = b"%PDF-"


def _size_of(upload: UploadedFile) -> int:
    if upload.size is not None:
        return int(upload.size)
    file: IO[Any] | None = upload.file
    if file is None:
        return 0
    position = file.tell()
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _image_format(upload: UploadedFile) -> str | None:
    """The Pillow format of ``upload`` when it is a complete image of an accepted type, else None."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format or ""
            width, height = image.size
            if fmt not in IMAGE_TYPES or width * height > MAX_IMAGE_PIXELS:
                return None
            image.verify()  # reads the whole stream: truncated or corrupt files raise here
        return fmt
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"attachments": [message]})


def attachment_check(upload: UploadedFile) -> tuple[str, str]:
    """``(kind, content_type)`` of an acceptable attachment (an image or a PDF of at most 10 MB), else
    ``ApplicationError`` (``attachment_too_large`` or ``attachment_type``) naming the file."""
    name = display_name(upload.name)
    size = _size_of(upload)
    if size > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise _refuse(
            _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit}, "attachment_too_large"
        )
    if size == 0:
        raise _refuse(_("“%(name)s” is empty.") % {"name": name}, "attachment_type")
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return AttachmentKind.PDF, "application/pdf"
    fmt = _image_format(upload)
    if fmt is None:
        raise _refuse(
            _("“%(name)s” is not an image (JPEG, PNG, WebP, GIF) nor a PDF document.") % {"name": name},
            "attachment_type",
        )
    return AttachmentKind.IMAGE, IMAGE_TYPES[fmt][0]


def cover_image_check(upload: UploadedFile) -> str:
    """The content type of an acceptable cover image (JPEG, PNG, WebP or GIF of at most 5 MB)."""
    if _size_of(upload) > MAX_COVER_BYTES:
        message = _("The cover image is larger than %(limit)s MB.") % {"limit": MAX_COVER_BYTES // (1024 * 1024)}
        raise ApplicationError(message, code="image_too_large", fields={"cover_image": [message]})
    fmt = _image_format(upload)
    if fmt is None:
        message = _("The cover image must be a JPEG, PNG, WebP or GIF image.")
        raise ApplicationError(message, code="image_type", fields={"cover_image": [message]})
    return IMAGE_TYPES[fmt][0]


def extension_for(content_type: str) -> str:
    if content_type == "application/pdf":
        return "pdf"
    for known, extension in IMAGE_TYPES.values():
        if known == content_type:
            return extension
    raise ValueError(f"No extension for {content_type!r}.")


def storage_name(content_type: str) -> str:
    """A random file name with the extension of the sniffed type (never the uploaded name)."""
    return f"{uuid.uuid4().hex}.{extension_for(content_type)}"


def display_name(name: str | None) -> str:
    """The uploaded file's own name for display: no directories, no control characters, 255 at most."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:255] or _("attachment")

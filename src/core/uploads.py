"""Files people upload: what they are comes from their content, never from their name or the content type
the browser sent. Shared by every app that accepts images or documents.

* ``image_format`` opens the file with Pillow and ``verify()``s it (a truncated or corrupt file fails),
  refusing anything past ``MAX_IMAGE_PIXELS`` before decoding (decompression bombs). SVG is never an image
  here: it can carry scripts.
* ``is_pdf`` checks the ``%PDF-`` signature.
* ``storage_name`` gives a random file name with the extension of the sniffed type; ``display_name`` keeps
  the uploaded name for display only, without directories or control characters.

Storage is django-tenants' ``TenantFileSystemStorage``: every city's files live under its own schema's
folder.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from collections.abc import Collection
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

# Larger images are refused before decoding (no phone camera goes near this).
MAX_IMAGE_PIXELS = 80_000_000
# Pillow format -> (content type, extension)
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
PDF_CONTENT_TYPE = "application/pdf"
PDF_MAGIC = b"%PDF-"


def upload_size(upload: UploadedFile) -> int:
    """The upload's size in bytes, measured on the file when the upload does not say."""
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


def image_format(upload: UploadedFile, *, accepted: Collection[str] = tuple(IMAGE_TYPES)) -> str | None:
    """The Pillow format of ``upload`` (one of ``accepted``) when it is a complete image, else None."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format or ""
            width, height = image.size
            if fmt not in accepted or fmt not in IMAGE_TYPES or width * height > MAX_IMAGE_PIXELS:
                return None
            image.verify()  # reads the whole stream: truncated or corrupt files raise here
        return fmt
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def image_content_type(fmt: str) -> str:
    return IMAGE_TYPES[fmt][0]


def is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    try:
        return bytes(upload.read(len(PDF_MAGIC))) == PDF_MAGIC
    finally:
        upload.seek(0)


def extension_for(content_type: str) -> str:
    if content_type == PDF_CONTENT_TYPE:
        return "pdf"
    for known, extension in IMAGE_TYPES.values():
        if known == content_type:
            return extension
    raise ValueError(f"No extension for {content_type!r}.")


def storage_name(content_type: str) -> str:
    """A random file name with the extension of the sniffed type (never the uploaded name)."""
    return f"{uuid.uuid4().hex}.{extension_for(content_type)}"


def display_name(name: str | None, *, max_length: int = 255, fallback: str = "") -> str:
    """The uploaded file's own name for display: no directories, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:max_length] or fallback

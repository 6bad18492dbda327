"""Images of proposals: at most three per proposal, JPEG, PNG or WebP, 5 MB each.

What a file is comes from its content, never from its name or the content type the browser sent: it
must open with Pillow and pass ``verify()`` (a truncated or corrupt file fails there). SVG is never
accepted (it can carry scripts), nor GIF. Files are stored under a random name with the extension of
the sniffed type, in the city's media folder (the storage puts each city under its own schema).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from tenant_apps.budgets.models import Project, ProjectImage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Larger images are refused before decoding (decompression bombs; no phone camera goes near this).
MAX_IMAGE_PIXELS = 80_000_000
# Pillow format -> (content type, extension)
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


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


def _display_name(upload: UploadedFile) -> str:
    base = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:100] or _("the image")


def images_check(uploads: Sequence[UploadedFile]) -> tuple[list[str], list[str]]:
    """``(content types, errors)`` of the images of one proposal: every problem is named, nothing is stored."""
    errors: list[str] = []
    types: list[str] = []
    if len(uploads) > ProjectImage.MAX_PER_PROJECT:
        errors.append(
            ngettext(
                "Add at most %(max)d image.",
                "Add at most %(max)d images.",
                ProjectImage.MAX_PER_PROJECT,
            )
            % {"max": ProjectImage.MAX_PER_PROJECT}
        )
        return types, errors
    for upload in uploads:
        name = _display_name(upload)
        if _size_of(upload) > MAX_IMAGE_BYTES:
            errors.append(
                _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": MAX_IMAGE_BYTES // (1024 * 1024)}
            )
            continue
        fmt = _image_format(upload)
        if fmt is None:
            errors.append(_("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name})
            continue
        types.append(IMAGE_TYPES[fmt][0])
    return types, errors


def _extension(content_type: str) -> str:
    for known, extension in IMAGE_TYPES.values():
        if known == content_type:
            return extension
    raise ValueError(f"No extension for {content_type!r}.")


def images_store(
    *, project: Project, uploads: Sequence[UploadedFile], content_types: Sequence[str]
) -> list[ProjectImage]:
    """Store checked images (see :func:`images_check`) under random names, after the project's others."""
    stored: list[ProjectImage] = []
    start = project.images.count()
    for offset, (upload, content_type) in enumerate(zip(uploads, content_types, strict=True)):
        image = ProjectImage(project=project, content_type=content_type, size=_size_of(upload), position=start + offset)
        upload.seek(0)
        image.file.save(f"{uuid.uuid4().hex}.{_extension(content_type)}", upload, save=False)
        image.save()
        stored.append(image)
    return stored


def image_files_delete_on_commit(names: Sequence[str]) -> None:
    """Delete stored files once the rows that pointed to them are gone for good (after the commit)."""
    kept = [name for name in names if name]
    if not kept:
        return

    def delete() -> None:
        for name in kept:
            default_storage.delete(name)

    transaction.on_commit(delete)

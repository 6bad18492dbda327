"""Images of proposals: at most three per proposal, JPEG, PNG or WebP, 5 MB each.

Sniffing by content, random storage names and display names are ``core.uploads``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import uploads as files
from tenant_apps.budgets.models import Project, ProjectImage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# GIF is not offered for proposals (photos of places and plans).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


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
        name = files.display_name(upload.name, max_length=100, fallback=_("the image"))
        if files.upload_size(upload) > MAX_IMAGE_BYTES:
            errors.append(
                _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": MAX_IMAGE_BYTES // (1024 * 1024)}
            )
            continue
        fmt = files.image_format(upload, accepted=ACCEPTED_FORMATS)
        if fmt is None:
            errors.append(_("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name})
            continue
        types.append(files.image_content_type(fmt))
    return types, errors


def images_store(
    *, project: Project, uploads: Sequence[UploadedFile], content_types: Sequence[str]
) -> list[ProjectImage]:
    """Store checked images (see :func:`images_check`) under random names, after the project's others."""
    stored: list[ProjectImage] = []
    start = project.images.count()
    for offset, (upload, content_type) in enumerate(zip(uploads, content_types, strict=True)):
        image = ProjectImage(
            project=project, content_type=content_type, size=files.upload_size(upload), position=start + offset
        )
        upload.seek(0)
        image.file.save(files.storage_name(content_type), upload, save=False)
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

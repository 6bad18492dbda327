"""Files people upload to consultations: attachments of contributions and consultation cover images.

The sniffing (content, never the name), random storage names and display names are ``core.uploads``;
this module holds the consultation's own limits and messages.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core import uploads
from core.exceptions import ApplicationError
from core.uploads import extension_for, storage_name
from tenant_apps.consultations.models import AttachmentKind

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_COVER_BYTES",
    "attachment_check",
    "cover_image_check",
    "display_name",
    "extension_for",
    "storage_name",
]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_COVER_BYTES = 5 * 1024 * 1024


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"attachments": [message]})


def attachment_check(upload: UploadedFile) -> tuple[str, str]:
    """``(kind, content_type)`` of an acceptable attachment (an image or a PDF of at most 10 MB), else
    ``ApplicationError`` (``attachment_too_large`` or ``attachment_type``) naming the file."""
    name = display_name(upload.name)
    size = uploads.upload_size(upload)
    if size > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise _refuse(
            _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit}, "attachment_too_large"
        )
    if size == 0:
        raise _refuse(_("“%(name)s” is empty.") % {"name": name}, "attachment_type")
    if uploads.is_pdf(upload):
        return AttachmentKind.PDF, uploads.PDF_CONTENT_TYPE
    fmt = uploads.image_format(upload)
    if fmt is None:
        raise _refuse(
            _("“%(name)s” is not an image (JPEG, PNG, WebP, GIF) nor a PDF document.") % {"name": name},
            "attachment_type",
        )
    return AttachmentKind.IMAGE, uploads.image_content_type(fmt)


def cover_image_check(upload: UploadedFile) -> str:
    """The content type of an acceptable cover image (JPEG, PNG, WebP or GIF of at most 5 MB)."""
    if uploads.upload_size(upload) > MAX_COVER_BYTES:
        message = _("The cover image is larger than %(limit)s MB.") % {"limit": MAX_COVER_BYTES // (1024 * 1024)}
        raise ApplicationError(message, code="image_too_large", fields={"cover_image": [message]})
    fmt = uploads.image_format(upload)
    if fmt is None:
        message = _("The cover image must be a JPEG, PNG, WebP or GIF image.")
        raise ApplicationError(message, code="image_type", fields={"cover_image": [message]})
    return uploads.image_content_type(fmt)


def display_name(name: str | None) -> str:
    """The uploaded file's own name for display (see ``core.uploads.display_name``)."""
    return uploads.display_name(name, fallback=_("attachment"))

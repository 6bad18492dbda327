"""Contributions: posting (with attachments), editing by the author, merging by staff.

Residents' texts are plain text: stored as written (control characters aside) and escaped on output.
Whether a contribution shows at once is decided here: pre-moderated consultations and texts caught by
the city's filter (``moderation.screen_text``) wait as pending, with the reason, and the decision is
written to the moderation log.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.consultations import accounts_adapter
from tenant_apps.consultations.models import (
    Attachment,
    Consultation,
    Contribution,
    ContributionStatus,
    ModerationAction,
    NotificationKind,
    Theme,
)
from tenant_apps.consultations.permissions import participation_require, staff_require
from tenant_apps.consultations.services import moderation, notifications
from tenant_apps.consultations.services.attachments import (
    MAX_ATTACHMENTS,
    attachment_check,
    display_name,
    storage_name,
)
from tenant_apps.consultations.services.consultations import (
    check_length,
    delete_files,
    lock_for_participation,
    plain_text,
    raise_invalid,
)

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MIN, BODY_MAX = 1, 10_000
DISTRICT_MAX = 100
_SIX_PLACES = Decimal("0.000001")


def _coordinate(value: Any, low: int, high: int, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(_SIX_PLACES)
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Give a number."))
        return None
    if not number.is_finite() or not low <= number <= high:
        errors.setdefault(field, []).append(
            _("Give a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number


def _clean_location(
    consultation: Consultation, latitude: Any, longitude: Any, errors: dict[str, list[str]]
) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if not consultation.allow_location:
        errors.setdefault("location", []).append(_("This consultation does not take places on a map."))
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        errors.setdefault("location", []).append(_("Give both the latitude and the longitude."))
        return None, None
    return _coordinate(latitude, -90, 90, "latitude", errors), _coordinate(longitude, -180, 180, "longitude", errors)


def _clean_theme(consultation: Consultation, theme_id: Any, errors: dict[str, list[str]]) -> Theme | None:
    if theme_id in (None, ""):
        return None
    try:
        pk = int(theme_id)
    except (TypeError, ValueError):
        pk = 0
    theme = Theme.objects.filter(pk=pk, consultation=consultation).first()
    if theme is None:
        errors.setdefault("theme", []).append(_("Choose one of this consultation's themes."))
    return theme


def _clean_text(title: str, body: str, errors: dict[str, list[str]]) -> tuple[str, str]:
    title = plain_text(title, single_line=True)
    body = plain_text(body)
    check_length(errors, "title", title, TITLE_MIN, TITLE_MAX)
    check_length(errors, "body", body, BODY_MIN, BODY_MAX)
    return title, body


def _check_attachments(
    consultation: Consultation, uploads: Sequence[UploadedFile], errors: dict[str, list[str]]
) -> list[tuple[UploadedFile, str, str]]:
    if not uploads:
        return []
    if not consultation.allow_attachments:
        errors.setdefault("attachments", []).append(_("This consultation does not take attachments."))
        return []
    if len(uploads) > MAX_ATTACHMENTS:
        errors.setdefault("attachments", []).append(
            _("Attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS},
        )
        return []
    checked = []
    for upload in uploads:
        try:
            kind, content_type = attachment_check(upload)
        except ApplicationError as exc:
            errors.setdefault("attachments", []).append(exc.message)
        else:
            checked.append((upload, kind, content_type))
    return checked


def _screened_status(consultation: Consultation, title: str, body: str) -> tuple[str, str, str]:
    """(status, reason shown to the author, moderation log action or "")."""
    reason = moderation.screen_text(text=f"{title}\n{body}", language=consultation.language)
    if consultation.premoderation:
        return (
            ContributionStatus.PENDING,
            reason or _("Contributions to this consultation are checked by a moderator before they appear."),
            ModerationAction.PREMODERATION,
        )
    if reason:
        return ContributionStatus.PENDING, reason, ModerationAction.AUTO_PENDING
    return ContributionStatus.PUBLISHED, "", ""


@transaction.atomic
def contribution_create(
    *,
    consultation: Consultation,
    author: Any,
    title: str,
    body: str,
    theme_id: int | None = None,
    latitude: Any = None,
    longitude: Any = None,
    district: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> Contribution:
    """Post a contribution (and its attachments) in one transaction.

    Refused outside the open phase (409 ``not_open``) and when the person may not contribute (403, see
    ``permissions.participation_decision``). Invalid input raises one error naming every field. The
    district defaults to the one the person's verification established.
    """
    consultation = lock_for_participation(consultation.pk)
    participation_require(author, consultation, "contribute")
    errors: dict[str, list[str]] = {}
    title, body = _clean_text(title, body, errors)
    theme = _clean_theme(consultation, theme_id, errors)
    latitude, longitude = _clean_location(consultation, latitude, longitude, errors)
    district = plain_text(district, single_line=True)
    check_length(errors, "district", district, 0, DISTRICT_MAX)
    uploads = _check_attachments(consultation, list(attachments), errors)
    raise_invalid(errors)
    if not district:
        district = (accounts_adapter.verified_district(user_id=author.pk) or "")[:DISTRICT_MAX]
    status, reason, action = _screened_status(consultation, title, body)
    contribution = Contribution.objects.create(
        consultation=consultation,
        theme=theme,
        author=author,
        title=title,
        body=body,
        status=status,
        moderation_reason=reason[:300],
        latitude=latitude,
        longitude=longitude,
        district=district,
        search_config=consultation.search_config,
    )
    if action:
        moderation.log_decision(
            target=contribution, action=action, previous_status="", new_status=status, reason=reason
        )
    _store_attachments(contribution, uploads)
    return contribution


def _store_attachments(contribution: Contribution, uploads: list[tuple[UploadedFile, str, str]]) -> None:
    written: list[str] = []
    try:
        for upload, kind, content_type in uploads:
            attachment = Attachment(
                contribution=contribution,
                kind=kind,
                content_type=content_type,
                size=upload.size or 0,
                original_name=display_name(upload.name),
            )
            upload.seek(0)
            attachment.file.save(storage_name(content_type), upload, save=False)
            written.append(attachment.file.name)
            attachment.size = attachment.file.size
            attachment.save()
    except BaseException:
        delete_files(written)
        raise


def _lock_contribution(contribution_id: int) -> Contribution:
    contribution = Contribution.objects.select_for_update().filter(pk=contribution_id).first()
    if contribution is None:
        raise ApplicationError(_("This contribution does not exist."), code="not_found", status_code=404)
    return contribution


@transaction.atomic
def contribution_update(
    *, contribution_id: int, editor: Any, title: str, body: str, theme_id: int | None
) -> Contribution:
    """The author edits their contribution while the consultation is open and the contribution is
    published or pending. The new text goes through the filter again: a published contribution whose
    new text is caught becomes pending; a pending one stays pending until a moderator decides (an edit
    cannot publish what a moderator has not seen)."""
    found = Contribution.objects.filter(pk=contribution_id).values_list("consultation_id", flat=True).first()
    if found is None:
        raise ApplicationError(_("This contribution does not exist."), code="not_found", status_code=404)
    # The consultation first, then the contribution: the order reactions and comments lock them in.
    consultation = lock_for_participation(found)
    contribution = _lock_contribution(contribution_id)
    if editor is None or contribution.author_id is None or contribution.author_id != getattr(editor, "pk", None):
        raise ApplicationError(_("Only its author can edit a contribution."), code="not_author", status_code=403)
    participation_require(editor, consultation, "contribute")
    if contribution.status not in (ContributionStatus.PUBLISHED, ContributionStatus.PENDING):
        raise ApplicationError(_("This contribution can no longer be edited."), code="not_editable", status_code=409)
    errors: dict[str, list[str]] = {}
    title, body = _clean_text(title, body, errors)
    theme = _clean_theme(consultation, theme_id, errors)
    raise_invalid(errors)
    previous = contribution.status
    contribution.title, contribution.body, contribution.theme = title, body, theme
    fields = ["title", "body", "theme", "updated_at"]
    if previous == ContributionStatus.PUBLISHED:
        status, reason, action = _screened_status(consultation, title, body)
        if status == ContributionStatus.PENDING:
            contribution.status, contribution.moderation_reason = status, reason[:300]
            fields += ["status", "moderation_reason"]
            moderation.log_decision(
                target=contribution, action=action, previous_status=previous, new_status=status, reason=reason
            )
    contribution.save(update_fields=fields)
    return contribution


@transaction.atomic
def contribution_merge(*, contribution_id: int, into_id: int, actor_id: int, reason: str = "") -> Contribution:
    """Staff merge a duplicate into another contribution of the same consultation.

    The duplicate keeps its text and its own reactions and counters, shown with a link to the target.
    Reactions are not moved: one person may have reacted to both (one reaction per person per
    contribution), reactions to two different texts are not the same opinion, and in agree/disagree
    mode they may even contradict; adding them up would count people twice. Contributions previously
    merged into the duplicate now point at the target, so a target is never itself merged.
    """
    staff_require(actor_id)
    if contribution_id == into_id:
        raise ApplicationError(_("A contribution cannot be merged into itself."), code="merge_self", status_code=400)
    # Lock both rows in id order: two merges of the same pair in opposite directions cannot deadlock.
    locked = {
        c.pk: c
        for c in Contribution.objects.select_for_update().filter(pk__in=[contribution_id, into_id]).order_by("pk")
    }
    source, target = locked.get(contribution_id), locked.get(into_id)
    if source is None or target is None:
        raise ApplicationError(_("This contribution does not exist."), code="not_found", status_code=404)
    if source.consultation_id != target.consultation_id:
        raise ApplicationError(
            _("Only contributions of the same consultation can be merged."), code="merge_other_consultation"
        )
    if source.status == ContributionStatus.MERGED:
        raise ApplicationError(_("This contribution is already merged."), code="already_merged", status_code=409)
    if target.status in (ContributionStatus.MERGED, ContributionStatus.HIDDEN):
        raise ApplicationError(
            _("Merge into a contribution that is shown: this one is merged or hidden."),
            code="merge_target_invalid",
            status_code=409,
        )
    reason = plain_text(reason, single_line=True)[:300]
    previous = source.status
    source.status, source.merged_into = ContributionStatus.MERGED, target
    source.save(update_fields=["status", "merged_into", "updated_at"])
    Contribution.objects.filter(merged_into=source).update(merged_into=target)
    moderation.log_decision(
        target=source,
        action=ModerationAction.MERGE,
        previous_status=previous,
        new_status=ContributionStatus.MERGED,
        reason=reason,
        actor_id=actor_id,
    )
    if source.author_id is not None and source.author_id != actor_id:
        notifications.notify(
            recipient_ids=[source.author_id],
            kind=NotificationKind.MODERATION,
            consultation_id=source.consultation_id,
            contribution_id=source.pk,
            payload={
                "action": ModerationAction.MERGE,
                "title": source.title,
                "into_id": target.pk,
                "into_title": target.title,
                "reason": reason,
            },
        )
    return source

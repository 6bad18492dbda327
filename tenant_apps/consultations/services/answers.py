"""The city's official answers to contributions."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import (
    AnswerStatus,
    Contribution,
    ContributionStatus,
    NotificationKind,
    OfficialAnswer,
)
from tenant_apps.consultations.permissions import staff_require
from tenant_apps.consultations.services import notifications
from tenant_apps.consultations.services.consultations import check_length, plain_text, raise_invalid

TEXT_MIN, TEXT_MAX = 1, 10_000


@transaction.atomic
def official_answer_set(*, contribution_id: int, status: str, text: str, actor_id: int) -> OfficialAnswer:
    """Give or change the city's answer to a contribution (staff only, in any phase).

    The answer is plain text (escaped on output, like residents' texts). Its status is copied to
    ``Contribution.answer_status`` for the "answered" filter. The author is notified of each change,
    by email after the commit (nothing is sent if the transaction rolls back); saving the same answer
    again changes and sends nothing.
    """
    staff_require(actor_id)
    errors: dict[str, list[str]] = {}
    if status not in AnswerStatus.values:
        errors["status"] = [_("“%(value)s” is not a valid choice.") % {"value": status}]
    text = plain_text(text)
    check_length(errors, "text", text, TEXT_MIN, TEXT_MAX)
    raise_invalid(errors)
    contribution = Contribution.objects.select_for_update().filter(pk=contribution_id).first()
    if contribution is None:
        raise ApplicationError(_("This contribution does not exist."), code="not_found", status_code=404)
    if contribution.status == ContributionStatus.MERGED:
        raise ApplicationError(
            _("This contribution was merged: answer the contribution it was merged into."),
            code="merged",
            status_code=409,
        )
    answer = OfficialAnswer.objects.filter(contribution=contribution).first()
    if answer is not None and answer.status == status and answer.text == text:
        return answer
    if answer is None:
        answer = OfficialAnswer.objects.create(
            contribution=contribution, status=status, text=text, answered_by_id=actor_id
        )
    else:
        answer.status, answer.text, answer.answered_by_id = status, text, actor_id
        answer.save(update_fields=["status", "text", "answered_by", "updated_at"])
    if contribution.answer_status != status:
        contribution.answer_status = status
        contribution.save(update_fields=["answer_status", "updated_at"])
    if contribution.author_id is not None:
        notifications.notify(
            recipient_ids=[contribution.author_id],
            kind=NotificationKind.OFFICIAL_ANSWER,
            consultation_id=contribution.consultation_id,
            contribution_id=contribution.pk,
            payload={"status": status, "title": contribution.title},
        )
    return answer

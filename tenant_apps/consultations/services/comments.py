"""Comments on contributions: threaded replies up to ``Comment.MAX_DEPTH``, screened by the filter."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import (
    Comment,
    CommentStatus,
    Contribution,
    ContributionStatus,
    ModerationAction,
    NotificationKind,
)
from tenant_apps.consultations.permissions import participation_require
from tenant_apps.consultations.services import moderation, notifications
from tenant_apps.consultations.services.consultations import (
    check_length,
    lock_for_participation,
    plain_text,
    raise_invalid,
)

BODY_MIN, BODY_MAX = 1, 5_000
EXCERPT_LENGTH = 200


def _parent(contribution: Contribution, parent_id: Any, author: Any) -> Comment | None:
    if parent_id in (None, ""):
        return None
    try:
        pk = int(parent_id)
    except (TypeError, ValueError):
        pk = 0
    parent = Comment.objects.filter(pk=pk, contribution=contribution).first()
    # A reply goes under a comment of the same contribution that its author can see.
    if parent is None or (parent.status != CommentStatus.PUBLISHED and parent.author_id != author.pk):
        message = _("The comment you reply to does not exist.")
        raise ApplicationError(message, code="invalid", fields={"parent": [message]})
    return parent


def _anchor(parent: Comment) -> Comment:
    """The comment a reply hangs from: ``parent``, or its deepest ancestor that still takes replies."""
    anchor = parent
    while anchor.depth >= Comment.MAX_DEPTH and anchor.parent_id is not None:
        anchor = Comment.objects.get(pk=anchor.parent_id)
    return anchor


@transaction.atomic
def comment_create(*, contribution: Contribution, author: Any, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a published contribution, or reply to one of its comments.

    Replies deeper than ``Comment.MAX_DEPTH`` hang from the deepest allowed ancestor (the thread stays
    readable on a phone). A comment caught by the filter waits as pending. A published comment counts in
    ``Contribution.comment_count`` (same transaction) and notifies the contribution's author and the
    author of the comment replied to, never the commenter themselves.
    """
    consultation = lock_for_participation(contribution.consultation_id)
    participation_require(author, consultation, "comment")
    contribution = Contribution.objects.filter(pk=contribution.pk).first() or contribution
    if contribution.status != ContributionStatus.PUBLISHED:
        raise ApplicationError(_("This contribution does not take comments."), code="not_commentable", status_code=409)
    errors: dict[str, list[str]] = {}
    body = plain_text(body)
    check_length(errors, "body", body, BODY_MIN, BODY_MAX)
    raise_invalid(errors)
    replied_to = _parent(contribution, parent_id, author)
    anchor = _anchor(replied_to) if replied_to is not None else None
    reason = moderation.screen_text(text=body, language=consultation.language)
    comment = Comment.objects.create(
        contribution=contribution,
        parent=anchor,
        depth=anchor.depth + 1 if anchor is not None else 0,
        author=author,
        body=body,
        status=CommentStatus.PENDING if reason else CommentStatus.PUBLISHED,
        moderation_reason=(reason or "")[:300],
    )
    if reason:
        moderation.log_decision(
            target=comment,
            action=ModerationAction.AUTO_PENDING,
            previous_status="",
            new_status=CommentStatus.PENDING,
            reason=reason,
        )
        return comment
    Contribution.objects.filter(pk=contribution.pk).update(comment_count=F("comment_count") + 1)
    comment_notify(comment=comment, contribution=contribution, replied_to=replied_to)
    return comment


def comment_notify(*, comment: Comment, contribution: Contribution, replied_to: Comment | None) -> None:
    """Tell the contribution's author and the author of the comment replied to (one notification each,
    the more specific "reply" when they are the same person; never the commenter). Called when the
    comment becomes visible: at once, or when a moderator publishes it."""
    payload = {"title": contribution.title, "comment_id": comment.pk, "excerpt": comment.body[:EXCERPT_LENGTH]}
    reply_to = replied_to.author_id if replied_to is not None else None
    if reply_to is not None and reply_to != comment.author_id:
        notifications.notify(
            recipient_ids=[reply_to],
            kind=NotificationKind.REPLY,
            consultation_id=contribution.consultation_id,
            contribution_id=contribution.pk,
            payload=payload,
        )
    owner = contribution.author_id
    if owner is not None and owner != comment.author_id and owner != reply_to:
        notifications.notify(
            recipient_ids=[owner],
            kind=NotificationKind.COMMENT_ON_CONTRIBUTION,
            consultation_id=contribution.consultation_id,
            contribution_id=contribution.pk,
            payload=payload,
        )

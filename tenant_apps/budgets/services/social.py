"""Supports and comments on proposals.

Supports (proposals phase only): one per person per project. The unique constraint is the arbiter of a
race between two clicks: the insert runs in a savepoint and the loser, which waited on the unique index
for the winner's commit, finds the row there and counts nothing. ``Project.support_count`` moves with
``F()`` in the transaction of the row it counts, so it stays exact under concurrency.

Comments (proposals and review; read-only afterwards): plain text, one level of replies. Staff may hide
one with a public reason. ``Project.comment_count`` counts the comments residents can read.

The process row is read FOR SHARE, so a phase change (FOR UPDATE) waits for the supports and comments
being written and none slips in after proposals closed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions, selectors
from tenant_apps.budgets.models import BudgetProcess, Project, ProjectComment, ProjectSupport

_UNIQUE_SUPPORT = "budgets_support_one_per_person"
REASON_MAX = 300


@dataclass(frozen=True)
class SupportState:
    project_id: int
    supported: bool
    support_count: int


def plain_text(value: str) -> str:
    """Residents' text as stored: normalised line ends, no control characters but newlines and tabs,
    no surrounding blanks. It is escaped on output, never interpreted."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def lock_process_for_share(process_id: int) -> BudgetProcess:
    # FOR SHARE: many residents at once, but a phase change (FOR UPDATE) waits for them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM budgets_budgetprocess WHERE id = %s FOR SHARE", [process_id])
        if cursor.fetchone() is None:
            raise NotFoundError(_("This participatory budget does not exist."), code="process_not_found")
    return BudgetProcess.objects.get(pk=process_id)


def _visible_project(*, process: BudgetProcess, project_id: int, user: Any) -> Project:
    """The project, when ``user`` may see it (reviewed, or their own proposal); else 404 (never a hint)."""
    project = selectors.project_list_public(process=process, user=user).filter(pk=project_id).first()
    if project is None:
        raise NotFoundError(_("This project does not exist."), code="project_not_found")
    return project


def _require_supporter(user: Any) -> None:
    """People allowed to propose a project, or to vote, may support proposals (accounts decides)."""
    decision = accounts_adapter.can(user, "propose_project")
    if decision:
        return
    if getattr(user, "is_authenticated", False) and accounts_adapter.can(user, "vote_budget"):
        return
    raise PermissionDeniedError(str(decision.reason), code=decision.code)


def _supports_closed() -> ApplicationError:
    return ApplicationError(
        _("Supports are only taken while proposals are open."), code="supports_closed", status_code=409
    )


def _is_duplicate_support(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return _UNIQUE_SUPPORT in str(getattr(diag, "constraint_name", "") or exc)


def _state(project_id: int, supported: bool) -> SupportState:
    count = Project.objects.filter(pk=project_id).values_list("support_count", flat=True).get()
    return SupportState(project_id=project_id, supported=supported, support_count=count)


@transaction.atomic
def project_support(*, process_id: int, project_id: int, user: Any) -> SupportState:
    """``user`` supports the project; supporting twice changes nothing (one row, counted once)."""
    process = lock_process_for_share(process_id)
    if not permissions.can_support(process):
        raise _supports_closed()
    _require_supporter(user)
    project = _visible_project(process=process, project_id=project_id, user=user)
    if not permissions.takes_supports(project):
        raise ApplicationError(_("This proposal no longer takes supports."), code="not_supportable", status_code=409)
    try:
        with transaction.atomic():
            ProjectSupport.objects.create(project=project, user=user)
    except IntegrityError as exc:
        if not _is_duplicate_support(exc):
            raise
        # Already supported (perhaps by a concurrent click that won the race): nothing more to count.
    else:
        Project.objects.filter(pk=project.pk).update(support_count=F("support_count") + 1)
    return _state(project.pk, True)


@transaction.atomic
def project_unsupport(*, process_id: int, project_id: int, user: Any) -> SupportState:
    """``user`` withdraws their support, if any (idempotent); only while proposals are open."""
    process = lock_process_for_share(process_id)
    if not permissions.can_support(process):
        raise _supports_closed()
    if not getattr(user, "is_authenticated", False):
        raise PermissionDeniedError(_("Sign in or create an account first."), code="login_required")
    project = _visible_project(process=process, project_id=project_id, user=user)
    # A concurrent withdrawal waits on the row lock, then deletes nothing and counts nothing.
    deleted, _by_model = ProjectSupport.objects.filter(project=project, user=user).delete()
    if deleted:
        Project.objects.filter(pk=project.pk).update(support_count=F("support_count") - 1)
    return _state(project.pk, False)


def _check_body(body: str, errors: dict[str, list[str]]) -> str:
    text = plain_text(body)
    if not text:
        errors.setdefault("body", []).append(_("Write your comment."))
    elif len(text) > ProjectComment.BODY_MAX:
        errors.setdefault("body", []).append(
            ngettext(
                "A comment has at most %(max)d character (this one has %(length)d).",
                "A comment has at most %(max)d characters (this one has %(length)d).",
                ProjectComment.BODY_MAX,
            )
            % {"max": ProjectComment.BODY_MAX, "length": len(text)}
        )
    return text


@transaction.atomic
def comment_create(
    *, process_id: int, project_id: int, author: Any, body: str, parent_id: int | None = None
) -> ProjectComment:
    """Comment on a project, or reply to one of its comments (proposals and review phases).

    Replies are one level deep: a reply to a reply joins the thread of the top-level comment."""
    process = lock_process_for_share(process_id)
    if not permissions.can_comment(process):
        raise ApplicationError(
            _("Comments are closed: they are taken while proposals are made and reviewed."),
            code="comments_closed",
            status_code=409,
        )
    decision = accounts_adapter.can(author, "comment")
    if not decision:
        raise PermissionDeniedError(str(decision.reason), code=decision.code)
    project = _visible_project(process=process, project_id=project_id, user=author)
    errors: dict[str, list[str]] = {}
    text = _check_body(body, errors)
    parent: ProjectComment | None = None
    if parent_id is not None:
        parent = ProjectComment.objects.filter(pk=parent_id, project=project).select_related("parent").first()
        if parent is None or not parent.is_visible:
            errors.setdefault("parent", []).append(_("The comment you reply to does not exist."))
        elif parent.parent is not None:
            parent = parent.parent
    if errors:
        raise ApplicationError(_("The comment cannot be published."), code="invalid", fields=errors)
    comment = ProjectComment.objects.create(project=project, parent=parent, author=author, body=text)
    Project.objects.filter(pk=project.pk).update(comment_count=F("comment_count") + 1)
    return comment


@transaction.atomic
def comment_hide(*, comment_id: int, moderator: Any, reason: str) -> ProjectComment:
    """Staff hide a comment, saying publicly why; its text is no longer shown (at any phase)."""
    if (
        moderator is None
        or not getattr(moderator, "is_authenticated", False)
        or not accounts_adapter.is_staff(user_id=moderator.pk)
    ):
        raise PermissionDeniedError(_("Only city staff moderate comments."))
    comment = ProjectComment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise NotFoundError(_("This comment does not exist."), code="comment_not_found")
    text = plain_text(reason)
    if not text or len(text) > REASON_MAX:
        message = ngettext(
            "Say why in at most %(max)d character.", "Say why in at most %(max)d characters.", REASON_MAX
        ) % {"max": REASON_MAX}
        raise ApplicationError(message, code="invalid", fields={"reason": [message]})
    was_visible = comment.is_visible
    comment.hidden_at = comment.hidden_at or timezone.now()
    comment.hidden_reason = text
    comment.hidden_by = moderator
    comment.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
    if was_visible:
        Project.objects.filter(pk=comment.project_id).update(comment_count=F("comment_count") - 1)
    return comment

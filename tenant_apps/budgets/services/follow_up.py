"""Follow-up of funded projects: a public status with a note, and a timeline of milestones.

Only staff write it, only once results are out (results and follow-up phases), and only for the projects
the stored result funded (``Result.selected``, see ``selectors.funded_project_ids``). Each write locks
the project row, so two staff members editing one project queue up.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions, selectors
from tenant_apps.budgets.models import FollowUpStatus, Project, ProjectMilestone
from tenant_apps.budgets.phases import city_zone
from tenant_apps.budgets.services.social import plain_text

NOTE_MAX = 2000
TITLE_MAX = 200
DESCRIPTION_MAX = 5000


def _require_staff(actor: Any) -> None:
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not accounts_adapter.is_staff(user_id=actor.pk)
    ):
        raise PermissionDeniedError(_("Only city staff report on funded projects."))


def _lock_funded(project_id: int) -> Project:
    project = Project.objects.select_for_update().select_related("process").filter(pk=project_id).first()
    if project is None:
        raise NotFoundError(_("This project does not exist."), code="project_not_found")
    if not permissions.can_follow_up(project.process):
        raise ApplicationError(
            _("The follow-up of funded projects starts once the results are out."),
            code="follow_up_closed",
            status_code=409,
        )
    if project.pk not in selectors.funded_project_ids(process=project.process):
        raise ApplicationError(_("Only funded projects have a follow-up."), code="not_funded", status_code=409)
    return project


def _too_long(limit: int) -> str:
    return ngettext("At most %(max)d character.", "At most %(max)d characters.", limit) % {"max": limit}


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(_("The follow-up is incomplete."), code="invalid", fields=errors)


@transaction.atomic
def project_follow_up_set(*, project_id: int, actor: Any, status: str, note: str = "") -> Project:
    """Set the public status of a funded project; a cancelled project says publicly why."""
    _require_staff(actor)
    project = _lock_funded(project_id)
    errors: dict[str, list[str]] = {}
    text = plain_text(note)
    if status not in FollowUpStatus.values:
        errors["status"] = [
            _("Expected one of: %(values)s.") % {"values": ", ".join(str(label) for label in FollowUpStatus.labels)}
        ]
    if len(text) > NOTE_MAX:
        errors.setdefault("note", []).append(_too_long(NOTE_MAX))
    if status == FollowUpStatus.CANCELLED and not text:
        errors.setdefault("note", []).append(_("Say publicly why the project is cancelled."))
    _raise(errors)
    project.follow_up_status = status
    project.follow_up_note = text
    project.follow_up_updated_at = timezone.now()
    project.save(update_fields=["follow_up_status", "follow_up_note", "follow_up_updated_at"])
    return project


def _check_milestone(
    *, title: str, description: str, planned_date: Any, done_date: Any, position: Any
) -> tuple[str, str, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    title = plain_text(title)
    description = plain_text(description)
    if not title:
        errors["title"] = [_("A title is required.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_too_long(TITLE_MAX)]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_too_long(DESCRIPTION_MAX)]
    if not isinstance(planned_date, datetime.date):
        errors["planned_date"] = [_("Enter the planned date.")]
    if done_date is not None:
        today = timezone.now().astimezone(city_zone()).date()
        if not isinstance(done_date, datetime.date):
            errors["done_date"] = [_("Enter a valid date.")]
        elif done_date > today:
            errors["done_date"] = [_("A milestone cannot be done in the future.")]
    if position is not None and (not isinstance(position, int) or position < 0):
        errors["position"] = [_("Enter a whole number, 0 or more.")]
    return title, description, errors


@transaction.atomic
def milestone_create(
    *,
    project_id: int,
    actor: Any,
    title: str,
    planned_date: datetime.date,
    description: str = "",
    done_date: datetime.date | None = None,
    position: int | None = None,
) -> ProjectMilestone:
    """Add a milestone to a funded project (at the end of its timeline unless ``position`` says)."""
    _require_staff(actor)
    project = _lock_funded(project_id)
    title, description, errors = _check_milestone(
        title=title, description=description, planned_date=planned_date, done_date=done_date, position=position
    )
    _raise(errors)
    if position is None:
        last = project.milestones.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    return ProjectMilestone.objects.create(
        project=project,
        title=title,
        description=description,
        planned_date=planned_date,
        done_date=done_date,
        position=position,
    )


def _lock_milestone(milestone_id: int) -> ProjectMilestone:
    milestone = ProjectMilestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFoundError(_("This milestone does not exist."), code="milestone_not_found")
    _lock_funded(milestone.project_id)  # the project row first: writers of one project queue there
    return ProjectMilestone.objects.select_for_update().get(pk=milestone_id)


@transaction.atomic
def milestone_update(
    *,
    milestone_id: int,
    actor: Any,
    title: str,
    planned_date: datetime.date,
    description: str,
    done_date: datetime.date | None,
    position: int,
) -> ProjectMilestone:
    """Replace a milestone's fields (the API's PATCH merges the stored values in first)."""
    _require_staff(actor)
    milestone = _lock_milestone(milestone_id)
    title, description, errors = _check_milestone(
        title=title, description=description, planned_date=planned_date, done_date=done_date, position=position
    )
    _raise(errors)
    milestone.title = title
    milestone.description = description
    milestone.planned_date = planned_date
    milestone.done_date = done_date
    milestone.position = position
    milestone.save(update_fields=["title", "description", "planned_date", "done_date", "position", "updated_at"])
    return milestone


@transaction.atomic
def milestone_delete(*, milestone_id: int, actor: Any) -> None:
    _require_staff(actor)
    _lock_milestone(milestone_id).delete()

"""What other apps and the platform may call: ids in, plain data out."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenant_apps.budgets.models import (
    Ballot,
    PaperEntry,
    PaperResolution,
    Project,
    ProjectComment,
    ProjectImage,
    ProjectStatus,
    ProjectSupport,
)
from tenant_apps.budgets.services.images import image_files_delete_on_commit

__all__ = ["gdpr_erase", "gdpr_export", "home_section", "usage"]

# Projects still private to their author; once public (reviewed, on the ballot) they stay, anonymised.
_PRIVATE_STATUSES = (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED)


def gdpr_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The person's budget proposals, comments and supports. Ballot contents are not linked to people,
    so none are exported."""
    projects = Project.objects.filter(author_id=user_id).select_related("process").order_by("id")
    comments = ProjectComment.objects.filter(author_id=user_id).select_related("project__process").order_by("id")
    supports = ProjectSupport.objects.filter(user_id=user_id).select_related("project__process").order_by("id")
    return {
        "budget_projects": [
            {
                "process": p.process.title,
                "title": p.title,
                "description": p.description,
                "estimated_cost": p.estimated_cost,
                "status": p.status,
                "latitude": str(p.latitude) if p.latitude is not None else None,
                "longitude": str(p.longitude) if p.longitude is not None else None,
                "created_at": p.created_at.isoformat(),
            }
            for p in projects
        ],
        "budget_comments": [
            {
                "process": c.project.process.title,
                "project": c.project.title,
                "body": c.body,
                "reply_to": c.parent_id,
                "hidden": c.hidden_at is not None,
                "hidden_reason": c.hidden_reason,
                "created_at": c.created_at.isoformat(),
            }
            for c in comments
        ],
        "budget_supports": [
            {"process": s.project.process.title, "project": s.project.title, "created_at": s.created_at.isoformat()}
            for s in supports
        ],
    }


def _erase_supports(user_id: int) -> int:
    # Lock the person's supports first: a concurrent withdrawal then finds nothing to count twice.
    project_ids = list(
        ProjectSupport.objects.select_for_update().filter(user_id=user_id).values_list("project_id", flat=True)
    )
    if not project_ids:
        return 0
    ProjectSupport.objects.filter(user_id=user_id, project_id__in=project_ids).delete()
    # One support per person per project (unique constraint): each project loses exactly one.
    Project.objects.filter(pk__in=project_ids).update(support_count=F("support_count") - 1)
    return len(project_ids)


def _erase_comments(user_id: int, keep_contributions: bool) -> tuple[int, int]:
    """``(deleted, anonymised)``: comments are anonymised; when not kept, their text goes too (the row
    itself while no reply hangs from it, else it stays as a "deleted" placeholder of the thread)."""
    comments = ProjectComment.objects.select_for_update().filter(author_id=user_id)
    project_ids = set(comments.values_list("project_id", flat=True))
    deleted = 0
    if not keep_contributions:
        # Two passes: the person's replies go first, then their comments that only they had replied to.
        for _pass in range(2):
            _total, by_model = comments.filter(replies__isnull=True).delete()
            deleted += by_model.get(ProjectComment._meta.label, 0)
        comments.update(body="", removed_at=timezone.now())
    anonymised = comments.update(author=None)
    if project_ids:
        # Recount from the rows (replies of deleted comments went with them): exact whatever happened.
        visible = (
            ProjectComment.objects.filter(project=OuterRef("pk"), hidden_at__isnull=True, removed_at__isnull=True)
            .order_by()
            .values("project")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Project.objects.filter(pk__in=project_ids).update(
            comment_count=Coalesce(Subquery(visible, output_field=IntegerField()), 0)
        )
    return deleted, anonymised


@transaction.atomic
def gdpr_erase(*, user_id: int, keep_contributions: bool) -> dict[str, int]:
    """Forget the person: proposals and comments are anonymised (or deleted when not kept: proposals
    while still private, comments' text always); supports are withdrawn, counters follow.

    Ballots hold no reference to people, so they stay as they are and keep counting.
    """
    projects = Project.objects.filter(author_id=user_id)
    deleted = 0
    if not keep_contributions:
        private = projects.filter(status__in=_PRIVATE_STATUSES, merged__isnull=True)
        files = list(ProjectImage.objects.filter(project__in=private).values_list("file", flat=True))
        _total, by_model = private.delete()
        deleted = by_model.get(Project._meta.label, 0)
        image_files_delete_on_commit(files)
    anonymised = projects.update(author=None)
    supports = _erase_supports(user_id)
    comments_deleted, comments_anonymised = _erase_comments(user_id, keep_contributions)
    PaperEntry.objects.filter(entered_by_id=user_id).update(entered_by=None)
    PaperResolution.objects.filter(resolved_by_id=user_id).update(resolved_by=None)
    ProjectComment.objects.filter(hidden_by_id=user_id).update(hidden_by=None)
    return {
        "projects_deleted": deleted,
        "projects_anonymised": anonymised,
        "supports_deleted": supports,
        "comments_deleted": comments_deleted,
        "comments_anonymised": comments_anonymised,
    }


def usage(*, period_start: datetime.datetime, period_end: datetime.datetime) -> dict[str, int]:
    """Billable activity in ``[period_start, period_end)``."""
    return {"ballots": Ballot.objects.filter(created_at__gte=period_start, created_at__lt=period_end).count()}


def home_section() -> dict[str, Any] | None:
    """What the city's home page shows of participatory budgets: the processes residents can act on or
    read now (proposals, voting, results, follow-up), newest first; None when there is none."""
    from tenant_apps.budgets.models import BudgetProcess
    from tenant_apps.budgets.phases import Phase

    items = list(
        BudgetProcess.objects.filter(
            phase__in=[Phase.PROPOSALS, Phase.VOTING, Phase.RESULTS, Phase.FOLLOW_UP]
        ).order_by("-pk")[:6]
    )
    return {"template": "budgets/_home_section.html", "items": items} if items else None

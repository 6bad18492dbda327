"""Reads of the budgets app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from tenant_apps.budgets.models import (
    Ballot,
    BudgetProcess,
    PaperEntry,
    PaperEntryStatus,
    PaperResolution,
    Project,
    ProjectComment,
    ProjectMilestone,
    ProjectStatus,
    ProjectSupport,
    Result,
    ResultStatus,
)

# Statuses residents see; a proposal still under review is visible to its author only.
PUBLIC_STATUSES = (
    ProjectStatus.FEASIBLE,
    ProjectStatus.NOT_FEASIBLE,
    ProjectStatus.MERGED,
    ProjectStatus.SELECTED_FOR_BALLOT,
)


def process_get(*, process_id: int) -> BudgetProcess:
    return BudgetProcess.objects.get(pk=process_id)


def process_list() -> QuerySet[BudgetProcess]:
    """Every process, newest first (``pk`` breaks ties, so pages never overlap)."""
    return BudgetProcess.objects.order_by("-created_at", "-pk")


def project_list(*, process: BudgetProcess, on_ballot: bool = False) -> QuerySet[Project]:
    projects = Project.objects.filter(process=process).select_related("district", "category")
    if on_ballot:
        projects = projects.filter(status=ProjectStatus.SELECTED_FOR_BALLOT)
    return projects.order_by("id")


def project_list_public(*, process: BudgetProcess, user: Any = None) -> QuerySet[Project]:
    """Projects residents may see: reviewed ones, plus the viewer's own pending proposals (by id)."""
    visible = Q(status__in=PUBLIC_STATUSES)
    if user is not None and getattr(user, "is_authenticated", False):
        visible |= Q(author_id=user.pk)
    return Project.objects.filter(process=process).filter(visible).select_related("district", "category").order_by("id")


def ballot_get(*, receipt: str) -> Ballot | None:
    return Ballot.objects.filter(receipt=receipt).prefetch_related("choices").first()


def results_for_process(*, process: BudgetProcess) -> QuerySet[Result]:
    return Result.objects.filter(process=process).select_related("district").order_by("district_id")


@dataclass(frozen=True)
class ConflictSheet:
    """A paper sheet whose entries differ: its entries in keying order (entry A first)."""

    paper_ref: str
    entries: tuple[PaperEntry, ...]


def paper_conflict_list(*, process: BudgetProcess) -> list[ConflictSheet]:
    """The sheets of ``process`` waiting for a conflict resolution, by sheet number."""
    entries = (
        PaperEntry.objects.filter(process=process, status=PaperEntryStatus.CONFLICT)
        .select_related("entered_by", "district")
        .order_by("paper_ref", "pk")
    )
    sheets: dict[str, list[PaperEntry]] = {}
    for entry in entries:
        sheets.setdefault(entry.paper_ref, []).append(entry)
    return [ConflictSheet(paper_ref=ref, entries=tuple(items)) for ref, items in sheets.items()]


def paper_resolution_list(*, process: BudgetProcess) -> QuerySet[PaperResolution]:
    """How conflicts were settled, newest first (the audit record shown to staff)."""
    return (
        PaperResolution.objects.filter(process=process)
        .select_related("resolved_by", "accepted_entry", "accepted_entry__entered_by")
        .order_by("-created_at", "-pk")
    )


def funded_project_ids(*, process: BudgetProcess) -> set[int]:
    """Ids of the projects the stored results funded (``Result.selected`` holds rule-engine keys)."""
    from tenant_apps.budgets.services.results import project_key

    keys = {
        str(key)
        for selected in Result.objects.filter(process=process, status=ResultStatus.DONE).values_list(
            "selected", flat=True
        )
        for key in selected
    }
    if not keys:
        return set()
    candidates = Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT).only(
        "pk", "external_id"
    )
    return {p.pk for p in candidates if project_key(p) in keys}


def funded_projects_with_milestones(*, process: BudgetProcess) -> list[Project]:
    """The funded projects, by id, with their milestones (timeline order) prefetched."""
    funded = funded_project_ids(process=process)
    return list(
        Project.objects.filter(pk__in=funded)
        .select_related("district")
        .prefetch_related(Prefetch("milestones", queryset=milestone_list_qs()))
        .order_by("id")
    )


def milestone_list_qs() -> QuerySet[ProjectMilestone]:
    return ProjectMilestone.objects.order_by("position", "planned_date", "id")


def comment_thread(*, project: Project) -> list[tuple[ProjectComment, list[ProjectComment]]]:
    """Top-level comments, oldest first, each with its replies (oldest first)."""
    comments = list(
        ProjectComment.objects.filter(project=project).select_related("author").order_by("created_at", "id")
    )
    replies: dict[int, list[ProjectComment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(c, replies.get(c.pk, [])) for c in comments if c.parent_id is None]


def comment_list(*, project: Project) -> QuerySet[ProjectComment]:
    """Every comment of the project (hidden ones included, as placeholders), oldest first."""
    return ProjectComment.objects.filter(project=project).select_related("author").order_by("created_at", "id")


def has_supported(*, project: Project, user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return ProjectSupport.objects.filter(project=project, user_id=user.pk).exists()
